# Quick start:  make train   (venv + train + evaluate the default model)
#               make test    (venv with all extras + the test suite, offline)
#               make readme  (retrain the shipped configs; regenerate the README's numbers and docs/report.png)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TORCH := torch==2.13.0
CONFIG ?= configs/topic_tfidf.yaml
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: train test readme lint bench data clean venv venv-all

$(VENV)/.core: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.all: $(VENV)/.core pyproject.toml
	$(PIP) install -q -e '.[bert,ray,track,dev]' $(TORCH)
	touch $@

# the benchmarks' own packages (sumy, sentencex, the MiniLM folder); no test needs them
$(VENV)/.bench: $(VENV)/.all pyproject.toml
	$(PIP) install -q -e '.[bench]'
	touch $@

venv: $(VENV)/.core
venv-all: $(VENV)/.all

train: $(VENV)/.core
	$(PY) train.py --config $(CONFIG)

test: $(VENV)/.all
	$(PY) -m pytest -q

readme: $(VENV)/.all
	$(PY) docs/readme_numbers.py

lint: $(VENV)/.all
	$(VENV)/bin/ruff check mlpkg tests benchmarks docs train.py

data: $(VENV)/.all
	$(PY) -m mlpkg build-data --raw ../shared/data/raw --out data
	$(PY) -m mlpkg.data.vectors --raw ../shared/data/raw --out data/word_vectors.npz

bench: $(VENV)/.bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) models build *.egg-info
