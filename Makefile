# The two commands of the README. Each installs what it needs first (scripts/setup.sh:
# Debian packages, .venv, Python packages), so both work on a fresh machine.
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: up lesson1 test setup lint typecheck unit slow bench notebooks clean

setup:
	@bash scripts/setup.sh

## Main job: the course on one machine: JupyterHub + proxy + the Practicum service, embedded
## defaults (SQLite, local spawner, state under ~/.practicum/hub). Prints the URL and staff login.
up: setup
	$(BIN)/practicum up

## Lesson 1's homework reference on real Fashion-MNIST, printing its test accuracy.
lesson1: setup
	$(BIN)/practicum lesson homework 1 --out submission.csv

## Lint, types and the default test suite.
test: setup lint typecheck unit

lint:
	$(BIN)/ruff check src tests notebooks benchmarks
	$(BIN)/ruff format --check src tests notebooks benchmarks

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/pytest -q --durations=30

## Long tests on real data (full-size training); not part of `make test`.
slow: setup
	PRACTICUM_SLOW=1 $(BIN)/pytest -q -m slow

bench: setup
	$(BIN)/python benchmarks/lesson1_homework.py

notebooks: setup
	$(BIN)/practicum notebooks build

clean:
	rm -rf notebooks/build .pytest_cache .mypy_cache .ruff_cache
