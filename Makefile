# make run   — set everything up and start TillQR (demo mode on the embedded sandbox when unconfigured)
# make test  — set everything up, check the code (ruff, formatter, mypy) and run the whole test suite headless
# make lint  — the checks alone (also run by pre-commit)
# make bench — print the benchmark figures as JSON
# make package — build dist/tillqr/ (PyInstaller, packaging/tillqr.spec), run its self-test, print its size
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench package sysdeps setup clean

setup: sysdeps $(VENV)/.installed

sysdeps:
	@./scripts/ensure-sysdeps.sh

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "TillQR needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

run: setup
	$(BIN)/tillqr

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n auto --dist loadscope

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py

# Qt's system libraries too: the bundle carries the build machine's copies of the X11 ones (libxcb-cursor, ...);
# binutils: PyInstaller reads binaries with objdump and strips them; Debian's python3 needs libpython3.X beside it
package: $(VENV)/.installed-package
	@./scripts/ensure-sysdeps.sh binutils $$($(BIN)/python packaging/libpython.py)
	PYTHON=$(BIN)/python packaging/build.sh
	@du -sh dist/tillqr

$(VENV)/.installed-package: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "TillQR needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[package]'
	@touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
