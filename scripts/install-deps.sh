#!/usr/bin/env bash
# Installs the Debian packages Cairn builds and tests with. Checks first and
# touches apt only when something is missing, so a second run is instant.
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsodium-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing (libFuzzer + sanitizer runtimes for clang) and symbolized reports
  clang-14 libclang-rt-14-dev llvm-14
  # make format-check (part of make test) and make tidy
  clang-format-14 clang-tidy-14
  # test peers and tools
  python3 python3-libtorrent transmission-cli aria2
  # the Redis Cluster backend's tests (tests/redis/)
  redis-server redis-tools
  # the runnable examples of the docs (tests/docs/run_examples.py)
  curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
