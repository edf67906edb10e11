# agrocluster: `make report` builds the site from the bundled data; `make test` runs the test suite.
# Both create .venv with python3 (3.11+) and install the project on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.agrocluster-installed
JOBS   ?=
# pytest-xdist workers of `make test` (one per core of the 2-core CI machine)
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install report test notebooks-sync benchmarks coverage clean-outputs

help: ## Show the targets and what they do
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (agrocluster)" >/dev/null
	@if [ -e .git ]; then $(BIN)/nbstripout --install && \
		git config filter.nbstripout.clean "'$(abspath $(BIN))/python' -m nbstripout --keep-id"; fi
	@# outputs saved in JupyterLab never reach git; cell ids are kept, so committed notebooks pass through unchanged
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test extras

report: $(STAMP) ## Run every notebook for every cluster on the bundled data and build the site
	$(BIN)/agrocluster run $(if $(JOBS),--jobs $(JOBS),)
	@echo "open $(CURDIR)/outputs/index.html"

test: $(STAMP) ## Run the test suite (unit, notebooks, Dask, browser) on TEST_WORKERS pytest-xdist workers
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

notebooks-sync: $(STAMP) ## Re-pair notebooks/*.py with their .ipynb (jupytext) and strip outputs
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/[0-9][0-9]_*.ipynb

benchmarks: $(STAMP) ## Run every script in benchmarks/ and print their timings and ratios
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

coverage: $(STAMP) ## Rerun the coverage study (200 worlds a check, ~30 min on 2 cores) into data/validation/coverage.csv and the README
	$(BIN)/python -m agrocluster.validation.coverage --worlds 200 --jobs 2 --readme README.md

clean-outputs: ## Remove generated reports (outputs/ is rebuilt by `make report`)
	find outputs -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
