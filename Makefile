# Every target that runs code depends on the virtual environment, so `make run` and `make test`
# work from a clean clone. torch is installed first and pinned: a looser pin pulls a CUDA build.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DATA   ?= ../shared/data
STAMP  := $(VENV)/.installed
# `make run HOST=0.0.0.0 PORT=8080` overrides these; a HOST exported by the shell does not.
HOST   := 127.0.0.1
PORT   := 8000

.PHONY: setup run test chromium lint format bench bench-quality bench-claims bench-verdicts \
	bench-stories bench-crash bench-load bench-scale bench-perf train-judge train-news-judge \
	train-claims train-idf clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/crosscheck serve --host $(HOST) --port $(PORT) --demo examples

test: $(STAMP) lint chromium
	HF_HUB_OFFLINE=1 $(PY) -m pytest

# The dashboard's browser tests drive the Debian chromium (Playwright's own browser download
# cannot work offline); installed once, when missing, as root or through sudo.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium for the browser tests"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy models service

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/speed.py --data $(DATA)

bench-quality: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/quality.py --data $(DATA)

bench-claims: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/claims.py --data $(DATA)

# Verdicts on real news (labelled incidents of ../shared/data/stories): the first release and
# this tree side by side on the test split. SPLIT=dev for tuning; never tune on test.
# SPLIT=fresh: the held-out set labelled after the comparisons were tuned.
SPLIT ?= test
bench-verdicts: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/verdicts/bench.py --data $(DATA) --split $(SPLIT)

# Stories that hold one event: ECB+ topics 1-25 and gun-violence news, the release's story rule and
# this tree's on the held-out part (PART=dev for tuning), then the whole pipeline on ECB+.
PART ?= test
bench-stories: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/stories/bench.py --data $(DATA) --part $(PART)

# The server killed with SIGKILL during a batch ingest, restarted, everything sent again: lost,
# duplicated and orphan rows on a SQLite file, and on PostgreSQL when POSTGRES names a database
# (its schema is DROPPED first: give it a database of its own).
POSTGRES ?=
KILLS    ?= 3
SEED     ?= 7
bench-crash: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/crash.py --data $(DATA) --kills $(KILLS) --seed $(SEED) \
		$(if $(POSTGRES),--postgres $(POSTGRES))

# Concurrent readers for DURATION seconds, alone and beside an ingest client (SQLite, or
# PostgreSQL when POSTGRES names a database; its schema is dropped).
READERS  ?= 50
DURATION ?= 30
bench-load: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/load.py --data $(DATA) --readers $(READERS) --duration $(DURATION) \
		--seed $(SEED) $(if $(POSTGRES),--postgres $(POSTGRES))

# Real news one article at a time, then as jobs of Celery workers at once, then with a worker
# killed mid-job: same stories, links and verdicts? anything lost or duplicated? Needs a
# PostgreSQL database (POSTGRES=…, its schema is DROPPED) and a Redis database (REDIS=…, EMPTIED).
REDIS    ?= redis://127.0.0.1:6379/6
WORKERS  ?= 4
ARTICLES ?= 16
bench-scale: $(STAMP)
	@test -n "$(POSTGRES)" || { echo "bench-scale needs POSTGRES=postgresql+psycopg://…"; exit 2; }
	HF_HUB_OFFLINE=1 $(PY) bench/scale.py --data $(DATA) --postgres $(POSTGRES) --redis $(REDIS) \
		--workers $(WORKERS) --articles $(ARTICLES)

# Speed on one machine as ratios of one run: ingest against the first release, the share of it
# inside the models, matching against judging every pair, vector search, a 1,000-claim story.
PERF_ARTICLES ?= 200
bench-perf: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/perf.py --data $(DATA) --articles $(PERF_ARTICLES) \
		$(if $(POSTGRES),--postgres $(POSTGRES) --redis $(REDIS))

train-judge: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m models.training.judge --data $(DATA) --out models/weights/judge

# Fine-tune the judge on news: the verdict benchmark's train split plus contrast pairs. It starts
# from the generic judge that `make train-judge` made (shipped at commit GENERIC_JUDGE, read back
# from git), not from the shipped news weights: running it again never tunes twice.
GENERIC_JUDGE ?= 9f78ce9
RUNS          ?= ../runs
train-news-judge: $(STAMP)
	mkdir -p $(RUNS)/judge-generic
	for f in model.onnx tokenizer.json nli_config.json thresholds.json; do \
		git show $(GENERIC_JUDGE):models/weights/judge/$$f > $(RUNS)/judge-generic/$$f || exit 1; done
	HF_HUB_OFFLINE=1 $(PY) -m models.training.news_judge --data $(DATA) --labels bench/verdicts \
		--start $(RUNS)/judge-generic --checkpoint-dir $(RUNS)/news_judge --out models/weights/judge

train-claims: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m models.training.checkworthy --data $(DATA) --out models/weights/checkworthy

# The word-frequency table of the story fingerprints, counted on the news corpora.
train-idf: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m models.training.idf --data $(DATA) --out models/weights/idf.json.gz

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
