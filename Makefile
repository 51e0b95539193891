# Two commands do everything on a fresh machine (Python >= 3.11 with venv and pip):
#   make reproduce   set up, then rebuild every figure on the default config
#   make test        set up, then run the test suite (it runs the ci config end to end)
# Everything is installed into .venv from pyproject.toml; conda users see README.md.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SNAKEMAKE := $(BIN)/snakemake --workflow-profile workflow/profiles/default
# One BLAS/numba thread per job unless a rule says otherwise (two 2-thread jobs on 2 cores collapse).
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export NUMBA_NUM_THREADS ?= 1

.PHONY: setup reproduce ci-pipeline test lint dry-run benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[test]"
	touch $(STAMP)

reproduce: setup
	$(SNAKEMAKE)

ci-pipeline: setup
	$(SNAKEMAKE) --configfile workflow/config/ci.yaml

dry-run: setup
	$(SNAKEMAKE) --dry-run --quiet

lint: setup
	$(BIN)/snakemake --lint

test: setup
	$(BIN)/python -m pytest

benchmarks: setup
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf results/*/ results/*.csv results/*.json results/*.html .snakemake
