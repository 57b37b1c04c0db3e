# The two entry points of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ICOP   := $(VENV)/bin/icop
OUT    ?= out
EXTRAS ?= dev,synth

.PHONY: run test venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	bash scripts/run_default.sh "$(ICOP)" "$(OUT)" "$(PY)"

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n auto --dist loadfile --durations=25

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
