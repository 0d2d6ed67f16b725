# The two commands a newcomer types: `make run` and `make test`.
# Both create .venv and install SiteKit into it on first use (and again when
# pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench tour clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/sitekit --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s tests/bench --timeout=0

tour: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/sitekit tour --out tour

clean:
	rm -rf $(VENV) build *.egg-info
