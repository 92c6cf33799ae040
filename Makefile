# The commands the README gives. Everything runs inside .venv, made on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_DB := var/demo/kuzet.db
export KUZET_VAR ?= var

.PHONY: demo demo-bills demo-digest demo-run test lint bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

KUZET  := $(BIN)/kuzet --db $(DEMO_DB)

demo: $(STAMP)  ## the whole pipeline on the bundled offline sample
	@mkdir -p $(dir $(DEMO_DB))
	$(KUZET) migrate
	$(KUZET) import data/sample/documents.jsonl
	@echo "--- crawl the offline sample sites (a loopback server stands in for every source)"
	$(KUZET) crawl --sample
	@echo "--- each source's last run (kaztag's listing selectors match nothing on purpose)"
	$(KUZET) sources
	@echo "--- the archived response behind a crawled document (first lines)"
	$(KUZET) archive show http://vlast.kz/novosti/61201-aktivistov-oshtrafovali-za-post.html | head -n 8
	@echo "--- NLP stage: flag every new document on sogi, hate_crime, anti_discrimination"
	$(KUZET) annotate
	@echo "--- flagged on hate_crime, newest first"
	$(KUZET) search --topic hate_crime --sort date --limit 4
	@echo "--- search understands word forms: 'гей' finds 'геев', 'бағдар' finds 'бағдарға'"
	$(KUZET) search 'гей AND полицейские' --limit 2
	$(KUZET) search 'бағдар' --lang kk --limit 2
	@echo "--- Russian: police extortion, 'вымогательство' (any word form starting so)"
	$(KUZET) search 'вымогательств*' --limit 3
	@echo "--- Kazakh, phrase search"
	$(KUZET) search '"жыныстық бағдарға"' --lang kk --limit 3
	@echo "--- English, newest first, as JSON"
	$(KUZET) search 'propaganda AND LGBT' --lang en --sort date --format json --limit 2
	@echo "--- a malformed query is refused in one line (exit status 2)"
	$(KUZET) search '"unbalanced' || test $$? -eq 2
	$(KUZET) export 'discrimination OR дискриминац* OR кемсіт*' --format csv --out var/demo/export.csv
	@echo "--- one document with its flags, evidence and legal references"
	$(KUZET) show https://vlast.kz/novosti/60001-sample-police-extortion.html
	@echo "--- classify any text"
	echo 'Депутаты Курултая одобрили в первом чтении законопроект о запрете дискриминации по признаку пола и возраста; гендерное равенство закреплено в статье 14 Конституции.' | $(KUZET) classify --lang ru
	@if [ -f ../shared/corpus/dev.jsonl ]; then echo "--- quality on the labelled dev corpus"; $(KUZET) eval ../shared/corpus/dev.jsonl --quiet; fi
	@$(MAKE) --no-print-directory demo-bills
	@$(MAKE) --no-print-directory demo-digest
	@$(MAKE) --no-print-directory demo-run
	@echo "Web UI for researchers: make serve  (read-only, http://127.0.0.1:8001/)"

# The later stages of the demo, each its own target (run by `make demo`, in this order).

demo-bills: export KUZET_ALERT_TO = policy-team@example.org
demo-bills: $(STAMP)  ## bills followed through their stages, alerts in the outbox
	@echo "--- bills: derive bills and stages from the stored documents and queue alerts"
	@echo "    (the first relevant bills found are summed up in one mail, not one mail each)"
	$(KUZET) alerts
	@echo "--- bills that concern our topics, latest move first"
	$(KUZET) bills list
	@echo "--- follow a bill by hand whatever its topics; its timeline"
	$(KUZET) bills track kurultai-3002
	$(KUZET) bills show kurultai-3002
	@echo "--- the bill sequence (data/sample/steps): the sample sites step by step, a check after each"
	@for n in 1 2 3 4 5 6 7; do \
	  echo "--- step $$n: $$(sed -n "/^n = $$n$$/,/^what/s/^what = \"\(.*\)\"$$/\1/p" data/sample/steps/steps.toml)"; \
	  $(KUZET) crawl --sample --step $$n legalacts kurultai akorda adilet kazinform > /dev/null || exit 1; \
	  $(KUZET) annotate 2> /dev/null > /dev/null || exit 1; \
	  $(KUZET) alerts || exit 1; \
	done
	@echo "--- the same check again: nothing new, nothing queued"
	$(KUZET) alerts
	@echo "--- the bill's timeline: one alert per step"
	$(KUZET) bills show legalacts-15210
	@echo "--- deliver: no mail server configured, so .eml files (a second 'make demo' sends none)"
	$(KUZET) outbox send
	ls -1 $(KUZET_VAR)/outbox/



demo-digest: $(STAMP)  ## the daily digest of the sample crawl
	@echo "--- the digest: three sample stories re-posted by other outlets (wire copies), stored and annotated"
	$(KUZET) import data/sample/syndicated.jsonl
	$(KUZET) annotate
	@echo "--- today's digest (the sample was stored today, Asia/Almaty): written, queued once, sent (.eml without a mail server)"
	$(KUZET) digest --date today --send
	@echo "--- the same story from three outlets is one search hit with --fold"
	$(KUZET) search 'вымогательств*' --fold --limit 3



demo-run: $(STAMP)  ## one scheduled cycle, unattended
	@echo "--- one full scheduled cycle on the sample sites: crawl, annotate, health, alerts, digest, mail"
	@echo "    (the digest step builds each past day's digest that is due, or says why none is;"
	@echo "    today's partial one above does not count: the day's own goes out the next morning)"
	$(KUZET) run --sample --once
	@echo "--- source health (kaztag fails on purpose; stale after 3 such runs)"
	$(KUZET) status
	@echo "--- every job of the scheduler and its next run (kuzet run runs them; logs in $(KUZET_VAR)/logs/)"
	$(KUZET) schedule


test: $(STAMP)  ## lint, then the test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)  ## benchmarks, each printing ratios against a baseline run beside it
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

serve: $(STAMP)  ## the read-only web UI on the demo database, at http://127.0.0.1:8001/
	$(BIN)/kuzet --db $(DEMO_DB) serve

clean:
	rm -rf var/demo var/archive .pytest_cache
