# The two commands of the README:  make book  (install + build the HTML book)
#                                  make test  (install + every test)
# Both create ./.venv from requirements.txt on first use (Python 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# kernels started by nbval and by the book build must find the venv's python
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: book test unit notebooks build browser lab refresh clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going

# unit tests + PyTorch cross-checks + property tests + doctests, then every notebook under
# nbval (strict: stored outputs must be reproduced), then the book build with -W, then the built
# pages in headless Chromium (offline, within the weight budgets, no errors in light and dark
# mode, explorers and animations work) and chapters 1-5 run in JupyterLab.
# The build runs with EXECUTE=stored: nbval has just run every notebook and matched every stored
# output, so the build renders those outputs instead of running everything a second time
# (book/_ext/convtutor_build.py; a notebook stored unexecuted is still run).
test: unit notebooks
	$(MAKE) build EXECUTE=stored
	$(MAKE) browser

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser" tests convtutor --doctest-modules

notebooks: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval --nbval-current-env book --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

# EXECUTE: how the build runs the notebooks; empty means _config.yml's (force: all of them)
EXECUTE ?=
build: $(STAMP)
	CONVTUTOR_EXECUTE=$(EXECUTE) $(BIN)/jupyter-book build . -W --keep-going

# the pages of an existing build (make build) in headless Chromium (/usr/bin/chromium);
# screenshots of every page go to _build/screenshots/. Meanwhile, on the other worker, JupyterLab
# runs chapters 1-5 on a temporary copy of the notebooks and drives their sliders
# (tests/test_jupyterlab.py: one long test, listed first so that it starts first); then the
# explorer engine on a test page of its own (tests/test_browser_explorer.py: play, hover, flip,
# URL state, SVG export, phone width, dark mode).
browser: $(STAMP)
	@test -d _build/html || { echo "no _build/html: run 'make build' first"; exit 1; }
	$(BIN)/python -m pytest -n 2 -m browser tests/test_jupyterlab.py tests/test_browser.py \
		tests/test_browser_explorer.py -p no:cacheprovider

# JupyterLab on the notebooks in book/ (kernels: this venv's python, which imports convtutor);
# it prints the address to open, with its token. LAB_ARGS="--no-browser --port 8899"...
# (as root, as in a container, JupyterLab needs --allow-root)
LAB_ARGS ?=
lab: $(STAMP)
	cd book && $(abspath $(BIN))/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# re-execute the notebooks in place after a change to the package (stored outputs are nbval's truth)
refresh: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py book/*.ipynb

clean:
	rm -rf _build
