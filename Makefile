# One-command set-up, serve and test. `make install` is idempotent: it re-installs only when
# pyproject.toml changed since the last install.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORPUS ?= corpus
# One index per corpus: the bundled corpus's in index/, another's in indexes/<its path, / as ->/, so
# `make run CORPUS=...` never overwrites another corpus's index (kbqa index refuses to, too).
INDEX  ?= $(if $(filter corpus corpus/,$(CORPUS)),index,indexes/$(subst /,-,$(patsubst %/,%,$(CORPUS))))
HOST   ?= 127.0.0.1
PORT   ?= 8000

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser run index test eval eval-all fit lint typecheck bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned, so nothing resolves a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The widget's browser tests drive Debian's Chromium (no browser download). Installed with apt
# when missing (CI runs as root); elsewhere, install the `chromium` package yourself.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The index is built from the corpus by the indexer's code: it is rebuilt when either changed
# since (after a pull, say), and re-indexing embeds only texts it has no vector for.
$(INDEX)/current/manifest.json: $(wildcard $(CORPUS)/*) $(wildcard indexer/*.py indexer/*/*.py) | $(STAMP)
	$(BIN)/kbqa index --corpus $(CORPUS) --out $(INDEX)

index: $(STAMP)
	$(BIN)/kbqa index --corpus $(CORPUS) --out $(INDEX)

run: $(STAMP) $(INDEX)/current/manifest.json
	$(BIN)/kbqa serve --host $(HOST) --port $(PORT) --index $(INDEX)

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

eval: $(STAMP) $(INDEX)/current/manifest.json
	$(BIN)/kbqa eval --index $(INDEX)

# Every eval set of eval/baseline.json: each knowledge base re-indexed (into index/ or
# indexes/<corpus path>), its questions run, one table against the baseline; exit 1 on a regression.
eval-all: $(STAMP)
	$(BIN)/kbqa eval-suite

lint: $(STAMP)
	$(BIN)/ruff check indexer service eval kbqa training tests
	$(BIN)/mypy

# Index build, cold start, /ask and /search over HTTP at concurrency 1, 8 and 32 (load from another
# process), peak RSS: a table, and JSON in bench-results/<commit>-<backend>-w<workers>.json.
# BENCH_ARGS="--workers 2 --backend onnx-int8 --seconds 20" to vary it.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m eval.bench --corpus $(CORPUS) $(BENCH_ARGS)

clean:
	rm -rf $(INDEX) .pytest_cache .mypy_cache

# Train the answer reranker into service/models/reranker/ with the shipped settings (the defaults in
# training/config.py), from SQuAD v1.1 (SQUAD=path/to/train-v1.1.json[.gz] for another copy) plus
# the paraphrased questions and structured pages in training/data/, and groups in which nothing
# answers (the pages' near misses; SQuAD questions with their paragraph hidden or asked about another
# name or number). About 60-70 min on 2 idle cores (mining, then 3,000 steps); an interrupted run
# resumes from its last checkpoint (under ~/.cache/kbqa/reranker-train).
.PHONY: train-reranker
train-reranker: SQUAD ?= ../shared/datasets/squad-v1.1-train/train-v1.1.json.gz
train-reranker: $(STAMP)
	nice -n 15 $(BIN)/python -m training.train --squad $(SQUAD) --out service/models/reranker --resume \
	  --paraphrases $(wildcard training/data/paraphrases-*.jsonl) \
	  --structured training/data/structured --near-misses --unanswerable-rate 0.1 --perturbed-rate 0.2

# Fit the abstention model (service/qa/abstention.json) and how the reranker is combined with
# the span features, with abstention beside it (service/qa/answer_model.json), on held-out SQuAD
# articles indexed as a knowledge base — never on the eval sets. About 10 min on 2 idle cores
# (indexing 8 articles, then ~1,600 questions). The shortlist depth is capped at 6 by the latency
# budget (make bench, /ask at concurrency 1: p50 48 ms at depth 6, 75 ms at depth 12; target 50 ms).
# Another reranker (a folder or a cross-encoder's hub name) gets its own answer model:
#   make fit RERANKER=BAAI/bge-reranker-base ANSWER_MODEL=/srv/kbqa/answer_model.json
# then serve with KBQA_RERANKER and KBQA_ANSWER_MODEL set to the same two.
FIT_WORK ?= /tmp/kbqa-fit
RERANKER ?= bundled
ANSWER_MODEL ?= service/qa/answer_model.json
fit: SQUAD ?= ../shared/datasets/squad-v1.1-train/train-v1.1.json.gz
fit: $(STAMP)
	$(BIN)/python -m training.squad_kb --squad $(SQUAD) --out $(FIT_WORK)/kb
	$(BIN)/kbqa index --corpus $(FIT_WORK)/kb/corpus --out $(FIT_WORK)/index --replace
	$(BIN)/python -m training.combination --kb $(FIT_WORK)/kb --index $(FIT_WORK)/index \
	  --paraphrases training/data/combination/paraphrases-heldout.jsonl --max-depth 6 \
	  --reranker $(RERANKER) --out $(ANSWER_MODEL)
