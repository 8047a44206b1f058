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

# 1. batch-score the clip and print the events table; 2. serve it as a looped
# live camera (SQLite + API on localhost) until Ctrl-C. DEMO_SERVE=0 skips 2.
DEMO_SERVE ?= 1
demo: install $(DEMO_VIDEO)
	$(BIN)/sitewatch score $(DEMO_VIDEO) --out $(DEMO_OUT)/score --config examples/demo.yaml --camera vtest \
		--start 2026-05-04T10:00:00+02:00 --annotate --format csv
	@if [ "$(DEMO_SERVE)" = 1 ]; then \
		echo; echo "Serving the clip as a live camera; Ctrl-C stops. In another terminal:"; \
		echo "  KEY=\$$($(BIN)/sitewatch keys create --config examples/demo.yaml --role viewer 2>/dev/null)"; \
		echo "  curl -H \"X-API-Key: \$$KEY\" http://127.0.0.1:8080/api/v1/events"; echo; \
		$(BIN)/sitewatch serve --config examples/demo.yaml; \
	fi

test: install system-deps $(DEMO_VIDEO)
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install $(DEMO_VIDEO)
	$(BIN)/python bench/score_vs_ultralytics.py $(DEMO_VIDEO)

clean:
	rm -rf out .pytest_cache
