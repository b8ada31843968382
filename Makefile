# Bazaar — every developer entry point. `make dev` and `make test` set everything up.
PY_VERSION ?= python3.11
VENV       ?= .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
OUT        ?= out
FN         ?=
EVENT      ?=

.PHONY: dev test lint fmt package invoke bench clean localstack-test routes \
	eval-bills eval-authenticity train-authenticity authenticity-set ml-layer

ML_STAMP   := $(VENV)/.installed-ml
DATA       ?= ../shared/data/receipts

$(STAMP): requirements.txt requirements-dev.txt requirements-ml.txt
	@command -v $(PY_VERSION) >/dev/null 2>&1 || { echo "need $(PY_VERSION) on PATH"; exit 1; }
	test -x $(PY) || $(PY_VERSION) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 (package) needs pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(ML_STAMP): $(STAMP) requirements-train-bills.txt
	$(PY) -m pip install --quiet -r requirements-train-bills.txt
	touch $(ML_STAMP)

## dev: run the whole system locally (moto + API + WebSocket + functions) with demo data
dev: $(STAMP)
	LOCALCLOUD_SEED=true $(PY) -m localcloud serve

## test: the whole test suite (unit, integration on moto, system on the local cloud)
test: $(STAMP)
	$(PY) -m pytest

## lint: ruff, mypy, import contracts (pyproject.toml), and cfn-lint on the packaged template
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app.py chalicelib functions localcloud bench
	$(VENV)/bin/lint-imports
	$(MAKE) package
	$(VENV)/bin/cfn-lint $(OUT)/sam.json

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## routes: rewrite chalicelib/route_index.json after adding or changing a route (app.py
## registers routes from it and imports each capability on its first request)
routes: $(STAMP)
	$(PY) -m scripts.route_index

## package: SAM template + deployment.zip for AWS in $(OUT)/ (see README "Deploy to AWS")
package: $(STAMP)
	$(PY) -m scripts.package $(OUT)

## invoke: run one handler with a sample event, e.g. make invoke FN=event-archive EVENT=events/event_archive_sqs.json
invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=events/<file>.json"; exit 2; }
	@test -f "$(EVENT)" || { echo "no event file $(EVENT) (the samples: ls events/)"; exit 2; }
	$(PY) -m localcloud invoke $(FN) $(EVENT)

## bench: measure start-up, cold import, latencies; writes bench/results.json
bench: $(STAMP)
	$(PY) -m bench

## localstack-test: install LocalStack (own venv, Python 3.13), start it on loopback, run
## the template on it (pytest -m localstack), stop it; see README "LocalStack"
localstack-test: $(STAMP)
	$(PY) -m scripts.localstack

## eval-bills: OCR extraction accuracy (company, date, total) + baseline + seconds per
## receipt on DATA (images/ + labels/); BILLS_OCR_CACHE=<dir> keeps OCR output between runs
eval-bills: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m ml.bills.eval_bills $(DATA)

## eval-authenticity: ROC AUC, precision/recall at the shipped threshold, confusion matrix
## + baseline on DATA (images/ + authenticity.csv); never trains
eval-authenticity: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m ml.bills.eval_authenticity $(DATA)

## authenticity-set: genuine + tampered variants of DATA's held-out receipts into OUT_SET
OUT_SET ?= out/bills-authenticity-heldout
authenticity-set: $(STAMP)
	$(PY) -m ml.bills.tamper $(DATA) $(OUT_SET) --part held-out

## train-authenticity: the bill authenticity model (DATA's development part) → models/bills/
train-authenticity: $(ML_STAMP)
	OMP_NUM_THREADS=1 $(PY) -m ml.bills.train_authenticity $(DATA)

## ml-layer: the ML runtime layer (onnxruntime, rapidocr, numpy, textractor) in out/ml-layer/
ml-layer: $(STAMP)
	$(PY) -m scripts.ml_layer $(OUT)

clean:
	rm -rf $(VENV) .venv-localstack $(OUT) .pytest_cache .mypy_cache .ruff_cache
