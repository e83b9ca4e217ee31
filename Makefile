# The two commands a new machine needs: `make run` and `make test`.
BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 30
export FUZZ_SECONDS

# Each part of `make test` has its own build directory, so one part can be
# rerun alone without rebuilding the others.
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz

# Sanitizer builds keep assertions (Debug) but optimise a little: -O0 would
# make the instrumented integration tests crawl.
SAN_CMAKE = -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DCAIRN_BENCH=OFF
# ASan: the unit and integration suites; interop, load and docs are slow or
# not about memory safety and run in the Release suite only, and so does
# integration.flood, which measures resident memory (a sanitizer's shadow
# memory would count against the cap). TSan runs what starts threads: the
# unit tests labelled `unit-threads` and the suites that start cairn processes,
# the load test among them (`cairn load` and `cairn serve` are the most
# threaded code we have); a test on one thread has no race to find, so the
# TSan lane does not even build the rest.
ASAN_TESTS = -E '^(interop|load|docs)\.|^integration\.flood$$'
TSAN_SUITES = -R '^(integration|load|nat|redis)\.' -E '^integration\.flood$$'
# Any report aborts the process, so the test (or the server under an
# integration test, which must exit 0 after SIGTERM) fails. Leaks at exit count.
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
          UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
          TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp

.PHONY: all deps build run check format-check tidy test test-release test-asan test-tsan fuzz clean
# The parts of `make test` run one after another, even under `make -j`: each
# already uses every core, and the Release summary must come last.
.NOTPARALLEL:

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/apps/cairn/cairn serve $(ARGS)

# The fast step first, so a mistake fails in minutes; then fuzzing and the
# sanitizer suites; the rest of the Release suite last, so its CTest summary
# is what CI reads.
test: deps check fuzz test-asan test-tsan test-release

# The fast step: the format, the Release build (-Werror) and the unit tests
# (CTest label `unit`). A few minutes on 2 cores.
check: CMAKE_FLAGS += -DCAIRN_WERROR=ON
check: format-check build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# clang-format 14 is the version the tree was formatted with; others differ.
format-check: deps
	@git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format-14 --dry-run --Werror
	@echo "format: ok"

# The Release suite but the unit tests, which `check` has run.
test-release: check
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE unit

# clang-tidy (.clang-tidy) over every file the Release build compiles. Slow
# (see README), so not part of `make test`.
tidy: build
	scripts/tidy.sh $(BUILD) $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(SAN_CMAKE) -DCAIRN_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) $(ASAN_TESTS)

test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) $(SAN_CMAKE) -DCAIRN_SANITIZE=thread >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target threaded_tests
	cd $(TSAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) -L unit-threads
	cd $(TSAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) $(TSAN_SUITES)

# libFuzzer needs clang; the fuzz targets and the libraries they link are
# built with ASan + UBSan. FUZZ_SECONDS per target (fuzz/run.sh says more).
fuzz: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) $(SAN_CMAKE) -DCAIRN_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	fuzz/run.sh $(FUZZ_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
