# One set of commands for developers and CI. `make run` serves; `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SERVICE := services/users
STAMP  := $(VENV)/.installed-$(shell cat $(SERVICE)/requirements-dev.lock $(SERVICE)/pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 5000
export PORT

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat $(SERVICE)/requirements.lock $(SERVICE)/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run migrate lint format test bench image release lock clean

install: $(STAMP)

# The environment is rebuilt whenever the lock file or the project metadata change.
$(STAMP):
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r $(SERVICE)/requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e $(SERVICE)
	touch $@

## Serve on 127.0.0.1:$(PORT); with no DATABASE_URL, on a SQLite file in ./var.
run: install migrate
	exec $(BIN)/gunicorn -c python:users_service.gunicorn_conf users_service.wsgi:app

migrate: install
	$(BIN)/users-service db upgrade

lint: install
	$(BIN)/ruff check . scripts/rolling-replace scripts/deploy
	$(BIN)/ruff format --check . scripts/rolling-replace scripts/deploy
	$(BIN)/mypy --config-file $(SERVICE)/pyproject.toml $(SERVICE)/src
	$(BIN)/mypy --config-file $(SERVICE)/pyproject.toml scripts/ecs_deploy

## Lint, then the whole suite: PostgreSQL if TEST_DATABASE_URL is set, else SQLite.
test: lint
	$(BIN)/pytest -v $(PYTEST_ARGS)

format: install
	$(BIN)/ruff format . scripts/rolling-replace scripts/deploy
	$(BIN)/ruff check --fix . scripts/rolling-replace scripts/deploy

## Benchmarks, not part of `make test` (about 6 minutes; BENCH_* variables in
## services/users/bench/options.py). gunicorn runs from $(BENCH_VENV), built from the runtime
## lock file alone, so memory and start-up are those of a deployment.
bench: install $(BENCH_STAMP)
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
release: install image
	mkdir -p var
	$(BIN)/python scripts/push-image users-service:$(COMMIT) "$$ECR_REPOSITORY" > var/released-image
	$(BIN)/python scripts/deploy --image "$$(cat var/released-image)" --commit $(COMMIT)

## Re-resolve the pinned dependencies (needs uv: pip install uv).
lock:
	cd $(SERVICE) && uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	cd $(SERVICE) && uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) $(BENCH_VENV) var
