#!/usr/bin/env bash
# Installs the Debian packages Cairn builds and tests with. Checks first and
# touches apt only when something is missing, so a second run is instant.
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsodium-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libssl-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing (libFuzzer + sanitizer runtimes for clang) and symbolized reports
  clang-14 libclang-rt-14-dev llvm-14
  # make format-check (part of make test) and make tidy
  clang-format-14 clang-tidy-14
  # test peers and tools; nodejs (20 or later, with npm) and chromium run the
  # JavaScript peers of tests/js (WebTorrent, bittorrent-tracker); openssl
  # makes the TLS tests' certificates; util-linux (unshare) and iproute2 give
  # the browser test a network namespace with only loopback
  python3 python3-libtorrent transmission-cli aria2 nodejs chromium openssl
  util-linux iproute2
  # STUN interop (turnutils_stunclient) and the NAT lab (ip netns, nftables;
  # iptables for its NFQUEUE delay: the kernel has no netem)
  coturn nftables iptables
  # the Redis Cluster backend's tests (tests/redis/)
  redis-server redis-tools
  # the runnable examples of the docs (tests/docs/run_examples.py)
  curl
  # the admin listener's tests: promtool checks /metrics, a Prometheus
  # server scrapes it (tests/integration/test_admin.py)
  prometheus
  # the full scrape's gzip (zlib), sd_notify readiness and watchdog
  # (libsystemd), and the service tests: systemd-analyze verify on the unit,
  # man -l on the man page
  zlib1g-dev libsystemd-dev systemd man-db groff-base
)

# The npm packages of tests/js, when its lock file changed since the last
# install (npm ci: exactly the locked versions; no install scripts run).
install_js() {
  local dir
  dir=$(cd "$(dirname "$0")/../tests/js" && pwd)
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "installing the npm packages of tests/js"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_js
  exit 0
fi

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
command -v npm >/dev/null || $sudo apt-get install -y -qq --no-install-recommends npm
install_js
