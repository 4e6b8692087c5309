# make run   — set everything up and start TillQR (demo mode on the embedded sandbox when unconfigured)
# make test  — set everything up, check the code (ruff, formatter, mypy) and run the whole test suite headless
#              (with PostgreSQL installed for the back office's tests)
# make lint  — the checks alone (also run by pre-commit)
# make bench — print the benchmark figures as JSON
# make package — build dist/tillqr/ (PyInstaller, packaging/tillqr.spec), run its self-test, print its size
# make translations — extract the words of app/ to translations/tillqr.pot, update each language's .po, compile
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench package sysdeps setup clean translations catalogues

setup: sysdeps $(VENV)/.installed catalogues

# The languages TillQR ships (app/i18n.py LANGUAGES, less English, the source text). A .po is the source;
# its .mo is built from it (not kept in git) by `make setup`, `make test` and `make package`.
LANGS  := pt_BR es hi
PO     := $(foreach l,$(LANGS),translations/$(l)/LC_MESSAGES/tillqr.po)
MO     := $(PO:.po=.mo)
KEYWORDS := -k _ -k ngettext:1,2 -k pgettext:1c,2 -k lazy_ -k lazy_p:1c,2

catalogues: $(MO)

# (the venv is made first by whichever target asks: setup, test, package; fuzzy entries are left out)
translations/%/LC_MESSAGES/tillqr.mo: translations/%/LC_MESSAGES/tillqr.po
	$(BIN)/pybabel compile -D tillqr -i $< -o $@

translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords $(KEYWORDS) --sort-output --add-location=file \
	  --project=TillQR --copyright-holder="TillQR's authors" -o translations/tillqr.pot .
	@for l in $(LANGS); do \
	  if [ -f translations/$$l/LC_MESSAGES/tillqr.po ]; then \
	    $(BIN)/pybabel update -D tillqr -i translations/tillqr.pot -d translations -l $$l --ignore-obsolete; \
	  else \
	    $(BIN)/pybabel init -D tillqr -i translations/tillqr.pot -d translations -l $$l; \
	  fi; \
	done
	$(MAKE) catalogues
	@echo "now translate what is new or fuzzy in translations/*/LC_MESSAGES/tillqr.po; tests/unit/test_translations.py checks"

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

# PostgreSQL (Debian's postgresql package) for the back office's tests only: `make run` never installs it
test: lint
	@./scripts/ensure-sysdeps.sh postgresql chromium chromium-driver
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n auto --dist loadscope

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py

# Qt's system libraries too: the bundle carries the build machine's copies of the X11 ones (libxcb-cursor, ...);
# binutils: PyInstaller reads binaries with objdump and strips them; Debian's python3 needs libpython3.X beside it
package: $(VENV)/.installed-package catalogues
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
