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

.PHONY: setup reproduce ci-pipeline test test-cluster lint dry-run benchmarks report verify clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[test,slurm]"
	@# graphviz's `dot` draws the rulegraph (make report); Debian's package, installed when root has apt.
	@command -v dot >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -qq graphviz >/dev/null; } || \
		echo "note: graphviz 'dot' not found; make report needs it (apt-get install graphviz)"
	touch $(STAMP)

# The whole rebuild: every figure, the reproduction table and manifest, then the HTML report and DAG.
reproduce: setup
	$(SNAKEMAKE)
	$(MAKE) report

ci-pipeline: setup
	$(SNAKEMAKE) --configfile workflow/config/ci.yaml

dry-run: setup
	$(SNAKEMAKE) --dry-run --quiet

lint: setup
	$(BIN)/snakemake --lint

# Under CI=true (CI; .ci/run installs slurm-wlm and munge) the same run adds the cluster tests, so they
# share its ci pipeline run; elsewhere `make test-cluster` runs them.
test: setup
	$(BIN)/python -m pytest $(if $(filter true,$(CI)),-m '' -s --durations=25)

# The ci config on a throw-away single-node SLURM (root; apt-get install -y slurm-wlm munge):
# every job through sbatch, data byte-identical to a local run, one job killed by scancel and rerun.
test-cluster: setup
	$(BIN)/python -m pytest -m cluster -s --durations=0 tests/test_cluster.py

# After a run: the DAG drawn by graphviz and Snakemake's HTML report (figures with captions,
# reproduction table, manifest). CONFIG=workflow/config/ci.yaml for the ci run.
report: setup
	@command -v dot >/dev/null || { echo "make report: graphviz 'dot' is missing: apt-get install graphviz (or conda install graphviz)" >&2; exit 1; }
	$(SNAKEMAKE) $(if $(CONFIG),--configfile $(CONFIG)) --rulegraph > results/.rulegraph.dot.part
	dot -Tsvg results/.rulegraph.dot.part -o results/rulegraph.svg && rm results/.rulegraph.dot.part
	$(SNAKEMAKE) $(if $(CONFIG),--configfile $(CONFIG)) --report results/report.html

# Re-hash every result against results/manifest.json.
verify: setup
	$(BIN)/bigbadminima verify --manifest results/manifest.json

benchmarks: setup
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf results/*/ results/*.csv results/*.json results/*.html results/*.md results/*.passed results/*.svg .snakemake
