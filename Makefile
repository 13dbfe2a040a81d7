# Every target creates .venv and installs what is missing; the second run is quick.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# import-linter lives in a venv of its own: its CLI's packages (click, rich) would otherwise be imported by
# httpx at every start of raqib (httpx loads its own CLI when they are installed), ~60 ms the users' installs
# never pay; it reads the source tree, so it needs nothing of the project installed.
LINT := $(VENV)/lint

.PHONY: install demo test lint eval bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(LINT)/bin/lint-imports:
	$(PY) -m venv $(LINT) || python3 -m venv $(LINT)
	$(LINT)/bin/python -m pip install --quiet 'import-linter>=2.1,<3'

$(STAMP): pyproject.toml | $(BIN)/python $(LINT)/bin/lint-imports
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The editable install leaves our own modules uncompiled; where bytecode is not written at import
	# (PYTHONDONTWRITEBYTECODE) every process would compile them again, ~0.3 s of each start.
	$(BIN)/python -m compileall -q bot storage bench eval > /dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/raqib demo

test: $(STAMP)
	$(BIN)/ruff check bot storage tests bench eval
	$(BIN)/mypy bot storage
	PYTHONPATH=. $(LINT)/bin/lint-imports  # the layers and no import cycles ([tool.importlinter] in pyproject.toml)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --maxprocesses 4 --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check bot storage tests bench eval
	$(BIN)/ruff format --check bot storage tests bench eval
	$(BIN)/mypy bot storage
	PYTHONPATH=. $(LINT)/bin/lint-imports

eval: $(STAMP)
	$(BIN)/python -m eval

bench: $(STAMP)
	$(BIN)/python -m compileall -q bot storage bench > /dev/null  # start-up is measured: code edited since install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache
