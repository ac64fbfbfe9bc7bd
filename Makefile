# Two commands for a newcomer: `make demo` and `make test`. Each bootstraps what it needs:
# a virtualenv with the package (editable; its build hook runs npm to build the labextension),
# and for the browser tests Debian's chromium (installed with apt when missing and root).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.k2nb-installed

.PHONY: demo test test-fast lab bench lint chromium clean

LABEXT_SOURCES := tsconfig.json $(wildcard labextension/src/*.ts labextension/style/* labextension/schema/*.json)

$(STAMP): pyproject.toml package.json package-lock.json $(LABEXT_SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m k2nb.demo examples/quickstart.ipynb --out build

test: $(STAMP) chromium
	PATH="$(CURDIR)/$(BIN):$$PATH" npm test
	# Two workers, whole files each (module-scoped servers stay together): the browser tests mostly
	# wait on paced streams, so the suite takes about half the wall time on 2 cores.
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The pure and unit tests (no kernel, no browser): under a minute, for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not kernel and not browser"

lab: $(STAMP)
	$(BIN)/jupyter lab examples/

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check k2nb tests benchmarks
	$(BIN)/ruff format --check k2nb tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	# The TypeScript and widget.js: prettier --check, eslint, and tsc --checkJs of widget.js.
	PATH="$(CURDIR)/$(BIN):$$PATH" npm run lint:check

chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and we are not root: browser tests will be skipped"; fi

clean:
	rm -rf $(VENV) node_modules build k2nb/labextension labextension/lib
