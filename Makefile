# Two commands a new user needs (see README.md):
#   make demo   set everything up, run the demo job on an embedded local Spark
#   make test   set everything up, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup test test-fast lint demo bench clean check-java

check-java:
	@command -v java >/dev/null 2>&1 || { echo "lasso_spark needs Java 17 or newer on PATH (Spark runs on the JVM); install it, e.g. 'apt-get install openjdk-17-jre-headless'." >&2; exit 3; }
	@v=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1); \
	 if [ -z "$$v" ] || [ "$$v" -lt 17 ]; then echo "lasso_spark needs Java 17 or newer; found: $$(java -version 2>&1 | head -n1)" >&2; exit 3; fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: check-java $(STAMP)

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q

demo: setup
	$(VENV)/bin/lasso-spark demo

test-fast: setup
	$(PY) -m pytest -q tests/unit

lint: setup
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
