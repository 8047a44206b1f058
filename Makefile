# sitewatch: `make demo` and `make test` do all set-up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_VIDEO := .cache/demo/vtest.avi
DEMO_OUT   := out/demo
export YOLO_OFFLINE := 1

.PHONY: install install-train system-deps demo test test-fast bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime + test dependencies (no torch: training is the optional `train` extra).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Training and the Ultralytics cross-checks: torch + ultralytics (large download).
install-train: install
	$(BIN)/pip install -q -e '.[train,test]'

system-deps:
	scripts/install-system-deps.sh

$(DEMO_VIDEO):
	scripts/fetch-demo-video.sh $@

demo: install $(DEMO_VIDEO)
	$(BIN)/sitewatch score $(DEMO_VIDEO) --out $(DEMO_OUT) --start 2026-05-04T10:00:00+02:00 --annotate --format csv

test: install system-deps $(DEMO_VIDEO)
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install $(DEMO_VIDEO)
	$(BIN)/python bench/score_vs_ultralytics.py $(DEMO_VIDEO)

clean:
	rm -rf out .pytest_cache
