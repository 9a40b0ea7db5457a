# One set of commands for developers and CI. `make run` serves; `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SERVICE := services/users
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check
# .venv holds the runtime lock (enough for `make run`); the test and lint tools are added to it
# by the first `make test`. A changed runtime lock rebuilds it from scratch.
RUNTIME_STAMP := $(VENV)/.runtime-$(shell cat $(SERVICE)/requirements.lock $(SERVICE)/pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-$(shell cat $(SERVICE)/requirements-dev.lock $(SERVICE)/pyproject.toml | cksum | cut -d' ' -f1)

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat $(SERVICE)/requirements.lock $(SERVICE)/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install install-dev run migrate lint format test bench image release lock clean

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

$(RUNTIME_STAMP):
	@echo "==> first run: creating $(VENV) with the service's pinned runtime dependencies (about 20 s)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r $(SERVICE)/requirements.lock
	$(PIP) --no-deps -e $(SERVICE)
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	@echo "==> adding the pinned test and lint tools to $(VENV) (first time only, about a minute)"
	rm -f $(VENV)/.dev-*
	$(PIP) --require-hashes -r $(SERVICE)/requirements-dev.lock
	touch $@

## Serve on 127.0.0.1:5000 (HOST, PORT); with no DATABASE_URL, on a SQLite file in ./var.
run: migrate
	exec $(BIN)/gunicorn -c python:users_service.gunicorn_conf users_service.wsgi:app

migrate: install
	$(BIN)/users-service db upgrade

lint: install-dev
	$(BIN)/ruff check . scripts/rolling-replace scripts/deploy scripts/push-image
	$(BIN)/ruff format --check . scripts/rolling-replace scripts/deploy scripts/push-image
	$(BIN)/mypy --config-file $(SERVICE)/pyproject.toml $(SERVICE)/src
	$(BIN)/mypy --config-file $(SERVICE)/pyproject.toml scripts/ecs_deploy
	$(BIN)/lint-imports --config $(SERVICE)/pyproject.toml

## Lint, then the whole suite: PostgreSQL if TEST_DATABASE_URL is set, else SQLite.
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

format: install-dev
	$(BIN)/ruff format . scripts/rolling-replace scripts/deploy scripts/push-image
	$(BIN)/ruff check --fix . scripts/rolling-replace scripts/deploy scripts/push-image

## Benchmarks, not part of `make test` (about 14 minutes; BENCH_* variables in
## services/users/bench/options.py, docs/benchmarks.md). gunicorn runs from $(BENCH_VENV), built
## from the runtime lock file alone, so memory and start-up are those of a deployment.
bench: install-dev $(BENCH_STAMP)
	cd $(SERVICE) && BENCH_SERVICE_BIN=$(CURDIR)/$(BENCH_VENV)/bin $(CURDIR)/$(BIN)/python -m bench

$(BENCH_STAMP):
	rm -rf $(BENCH_VENV)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r $(SERVICE)/requirements.lock
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e $(SERVICE)
	touch $@

## The image, tagged with the commit. CI builds it on every change (the system tests) and here
## for a release.
COMMIT ?= $(shell git rev-parse HEAD)
image:
	docker build --tag users-service:$(COMMIT) services/users

## What CI runs on a push to staging or production: push the image to ECR ($$ECR_REPOSITORY)
## and deploy it by digest (scripts/deploy reads the DEPLOY_* variables; README: Deploy to AWS).
release: install-dev image
	mkdir -p var
	$(BIN)/python scripts/push-image users-service:$(COMMIT) "$$ECR_REPOSITORY" > var/released-image
	$(BIN)/python scripts/deploy --image "$$(cat var/released-image)" --commit $(COMMIT)

## Re-resolve the pinned dependencies (needs uv: pip install uv).
lock:
	cd $(SERVICE) && uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	cd $(SERVICE) && uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) $(BENCH_VENV) var
