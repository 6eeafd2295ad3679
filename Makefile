# The two entry points of the README's quick start. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install

$(BIN)/joblens: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/joblens

demo: install
	$(BIN)/joblens demo

test: install
	$(BIN)/pytest -n 2 --dist loadfile

bench: install
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done
