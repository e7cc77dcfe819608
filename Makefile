# minutes-rag: `make run` (set up + start the service), `make test` (set up + run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0
# Elsewhere, point pip at the CPU wheels, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck browser-deps ocr-deps eval bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)
	$(PY) -c "import torch, sys; sys.exit('a CUDA build of torch was installed; use the CPU build' if torch.version.cuda else 0)"
	$(PIP) install -q -e ".[dev,ocr,milvus]"
	touch $@

run: setup ocr-deps
	$(VENV)/bin/rag serve

# Debian's chromium for the browser test (no browser download is possible offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium missing: install Debian's chromium and fonts-noto-cjk for the browser test"; fi; }

# Debian's tesseract (Japanese data) for OCR of scanned PDFs; poppler-utils renders the OCR test's scan.
ocr-deps:
	@command -v tesseract >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-jpn poppler-utils >/dev/null; \
	  else echo "tesseract missing: install Debian's tesseract-ocr, tesseract-ocr-jpn and poppler-utils for OCR"; fi; }

test: setup browser-deps ocr-deps
	$(VENV)/bin/ruff check rag index api eval tests
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check rag index api eval tests

typecheck: setup
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
