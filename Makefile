# Two commands a fresh machine needs (Python 3.11, pip, git): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO ?= instances/zuid-kennemerland-week
DEMO_OUT ?= out/demo

.PHONY: demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/matcher validate $(DEMO)
	$(BIN)/matcher solve $(DEMO) --out $(DEMO_OUT)

test: $(BIN)/.installed
	$(BIN)/ruff check matcher models tests benchmarks
	$(BIN)/ruff format --check matcher models tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/review_commands.py

clean:
	rm -rf $(VENV) out
