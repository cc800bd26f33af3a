# Simplr: `make run` sets up and runs everything locally; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv

.PHONY: run setup test test-setup lint bench clean
run: setup
	bash scripts/run.sh

setup:
	bash scripts/setup.sh
	$(VENV)/bin/simplr migrate

test: test-setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-setup:
	REQS=requirements-dev.txt bash scripts/setup.sh
	bash scripts/setup-test.sh

lint:
	$(VENV)/bin/ruff check app tests bench

bench: test-setup
	$(VENV)/bin/python -m bench

clean:
	rm -rf var $(VENV) .venv-llm
