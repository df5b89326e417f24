# Thin wrapper: `make demo` and `make test` are the README's two commands (run as root on Debian 12).
BUILD ?= build
JOBS ?= $(shell nproc)
# The demo: 10 minutes of WGAN-GP on Fashion-MNIST with the defaults (on a CPU, its quality-per-minute
# defaults: width 32, one critic step per generator step, Adam 1e-3; docs/performance-cpu.md).
DEMO_FLAGS ?= --name demo --overwrite --minutes 10

APT_PACKAGES = build-essential cmake ccache libtorch-dev libgloo-dev libopenblas0-pthread libopencv-dev libcli11-dev \
  nlohmann-json3-dev zlib1g-dev libarchive-dev libgtest-dev libonnx-dev dataset-fashion-mnist

# Only the tests need these: numpy checks that numpy.load opens the prepared datasets, and
# headless chromium renders report.html and the exported web page, python3-torch writes the seed
# checkpoints the interop test reads, and python3-onnx's checker reads the exported ONNX models.
TEST_PACKAGES = python3-numpy python3-scipy python3-torch python3-onnx chromium

export CCACHE_SLOPPINESS = pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: deps build demo test bench clean docs onnxruntime fuzz sanitize

deps:
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then echo "deps: all packages present"; else \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PACKAGES); fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/wgan train $(DEMO_FLAGS)

test: build
	@dpkg -s $(TEST_PACKAGES) >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(TEST_PACKAGES); }
	@$(MAKE) --no-print-directory onnxruntime || echo "warning: onnxruntime not fetched from npm; the tests that run exported models will be skipped"
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# CPU speed against the Python reference (needs python3-torch): the measured tables replace the part
# of docs/performance-cpu.md between its bench:begin and bench:end markers (the analysis around them stays).
bench: build
	@dpkg -s python3-torch >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch; }
	./$(BUILD)/wgan_train_speed | tee $(BUILD)/performance-cpu.md
	awk 'FNR == NR { table = table $$0 "\n"; next } /<!-- bench:begin -->/ { print; printf "%s", table; skip = 1; next } \
	  /<!-- bench:end -->/ { skip = 0 } !skip' $(BUILD)/performance-cpu.md docs/performance-cpu.md > $(BUILD)/performance-cpu.spliced \
	  && mv $(BUILD)/performance-cpu.spliced docs/performance-cpu.md
	./$(BUILD)/wgan_prepare_speed

# npm's onnxruntime-node (the ONNX tests) and onnxruntime-web (`wgan export --web`), into $(BUILD)/npm.
onnxruntime:
	@command -v npm >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
	bash tools/fetch_onnxruntime.sh $(BUILD)/npm

# Fuzzing: every reader of untrusted bytes (fuzz/*_fuzz.cpp) built with clang as a libFuzzer target,
# ASan and UBSan on, run FUZZ_SECONDS each from a seed corpus wgan's own writers make. A crash is
# kept in fuzz/regressions/HARNESS/ once fixed; `make test` replays those and the seeds. Then the
# everyday commands once with that instrumented wgan (tools/sanitized_commands.sh).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES = checkpoint_fuzz image_decode_fuzz json_fuzz npy_fuzz torch_pickle_fuzz
fuzz: build
	@command -v clang++ >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y clang; }
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Release -DWGAN_FUZZ=ON \
	  -DWGAN_BUILD_TESTS=OFF -DWGAN_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_HARNESSES) wgan_cli
	./$(BUILD)/wgan_fuzz_replay seeds $(FUZZ_BUILD)/seeds
	bash tools/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
	bash tools/sanitized_commands.sh $(FUZZ_BUILD)/wgan $(BUILD)/npm/node_modules/onnxruntime-web/dist

# The unit tests once with AddressSanitizer and UndefinedBehaviorSanitizer (its own build folder;
# LibTorch itself is not instrumented, only wgan's code).
SANITIZE_BUILD ?= build-sanitize
sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Release -DWGAN_SANITIZE=ON -DWGAN_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(SANITIZE_BUILD)

docs: build
	{ echo '# `wgan` command-line help'; echo; echo 'Generated with `wgan COMMAND --help` (regenerate after changing options: `make docs`).'; \
	  for c in prepare train sample export report check eval toy classifier augment; do echo; echo "## wgan $$c"; echo; echo '```'; ./$(BUILD)/wgan $$c --help | sed 's|./$(BUILD)/wgan|wgan|'; echo '```'; done; } > docs/cli.md
