# The README's two commands are `make run` and `make test`; everything else is a step they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LANGS := en es fr ar pt

.PHONY: run test install browser i18n i18n-compile i18n-check lint typecheck pytest demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) i18n-compile

run: install
	$(BIN)/sosbot migrate
	$(BIN)/sosbot run

demo: install
	$(BIN)/sosbot demo

test: install browser lint typecheck i18n-check pytest

# The dashboard's browser tests drive Debian's Chromium (Playwright is told its path; nothing is downloaded).
browser:
	command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; }

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

# In CI the suite runs a second time with the clock moved to a new year, so a date bug fails CI, not the users.
TEST_CLOCK ?= 2027-01-01

pytest:
	$(BIN)/python -m pytest
	if [ "$$CI" = "true" ]; then SOS_TEST_CLOCK=$(TEST_CLOCK) $(BIN)/python -m pytest; fi

# Extract, update and compile the catalogues (run after changing user-facing strings).
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k pgettext:1c,2 --no-location --sort-output \
		--project=sosbot -o locales/messages.pot bot handlers storage
	for lang in $(LANGS); do \
		if [ -f locales/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages -l $$lang --no-fuzzy-matching --ignore-obsolete; \
		else \
			$(BIN)/pybabel init -i locales/messages.pot -d locales -D messages -l $$lang; \
		fi; \
	done
	# Babel's built-in Arabic (and European Portuguese) plural header disagrees with CLDR's order: put ours back.
	$(BIN)/python -m bot.core.plural_forms
	$(MAKE) i18n-compile

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -d locales -D messages --statistics

i18n-check: $(STAMP)
	$(BIN)/python -m bot.core.i18n_check

bench: install
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.outbox_ceiling
	$(BIN)/python -m bench.crash
	$(BIN)/python -m bench.signons

clean:
	rm -rf $(VENV) sos.db sos.db-wal sos.db-shm
