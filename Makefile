# Agora: `make run` starts a development node, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# The suite runs on pytest-xdist workers (one per core; TEST_WORKERS=0 runs it in one process). Ungrouped
# tests go to whichever worker is free; each xdist_group (tests/conftest.py: the browser package) stays on one.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadgroup

.PHONY: run test test-postgres test-browser browser-deps interop bench typecheck migrations venv clean

$(BIN)/agora: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

venv: $(BIN)/agora

run: venv
	@test -f $(DATA)/agora.toml || $(BIN)/agora init --dev --data-dir $(DATA) \
	  --base-url http://$(HOST):$(PORT) --handle demo --name "Demo Association" \
	  --admin-email admin@example.org
	AGORA_CONFIG=$(CURDIR)/$(DATA)/agora.toml $(BIN)/agora serve --host $(HOST) --port $(PORT)

# tests/scale (two `agora serve` and two `agora worker` processes on PostgreSQL, Redis and an S3 server)
# runs in the PostgreSQL lane only.
test: venv browser-deps
	$(BIN)/pytest tests --ignore=tests/interop --ignore=tests/scale -q $(XDIST)

# The browser tests (tests/browser) drive Debian's Chromium with Playwright and run axe-core from npm:
# installs them when missing (apt-get as root, npm ci). Screenshots go to test-artifacts/screenshots/.
browser-deps:
	sh scripts/browser-deps.sh

test-browser: venv browser-deps
	$(BIN)/pytest tests/browser -q

test-postgres: venv browser-deps
	AGORA_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest tests --ignore=tests/interop -q $(XDIST)

interop: venv
	bash tests/interop/run.sh

bench: venv
	$(BIN)/python tests/bench/bench.py

# The protocol floor is checked strictly; node/ with the project's mypy settings (pyproject.toml).
typecheck: venv
	$(BIN)/mypy --strict federation
	$(BIN)/mypy node

# After changing a models.py: write the next migration into node/migrations.
migrations: venv
	$(BIN)/python -m node.core.makemigrations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache interop-work test-artifacts tests/browser/node_modules
