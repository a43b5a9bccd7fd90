# The two commands in README.md: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT := $(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

.PHONY: demo test lint setup es-start es-stop bench-smoke clean translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

## Harvest the bundled demo partner libraries into the embedded index and serve the search page.
demo: $(STAMP)
	$(BIN)/fedcat demo

## Set up everything (venv, Elasticsearch, chromium) and run the whole test suite on both engines.
test: $(STAMP)
	.ci/setup-browser.sh
	.ci/setup-tools.sh
	.ci/elasticsearch.sh start
	.ci/postgres.sh start
	$(LINT) ; status=$$?; \
	if [ $$status -eq 0 ]; then FEDCAT_ES_URL=$$(.ci/elasticsearch.sh url) \
	  FEDCAT_PG_URL=$$(.ci/postgres.sh url) $(BIN)/pytest -ra; status=$$?; fi; \
	.ci/postgres.sh stop; .ci/elasticsearch.sh stop; exit $$status

## ruff (lint and format) and mypy (types of the product packages, mypy.ini): part of make test.
lint: $(STAMP)
	$(LINT)

## After changing interface text: re-extract the messages (pages, code, widget), merge them
## into each language's .po (translate the new ones there), and compile the committed .mo.
translations: $(STAMP)
	$(BIN)/pybabel extract -F search_ui/babel.cfg -k lazy_gettext --no-location --sort-output \
	  --omit-header -o search_ui/translations/messages.pot .
	$(BIN)/pybabel update -i search_ui/translations/messages.pot -d search_ui/translations \
	  --no-wrap --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d search_ui/translations --statistics

es-start:
	.ci/elasticsearch.sh start

es-stop:
	.ci/elasticsearch.sh stop

clean:
	rm -rf $(VENV) data *.egg-info
