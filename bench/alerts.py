"""Bill tracker benchmark: `check_alerts` on a large synthetic database, against reading the rows.

The scheduler runs a check every 15 minutes, so what matters is a check that finds nothing new
on a database holding a year or more of legislation and news. The baseline, measured in the
same run on the same file, is reading every row a check could use (all legislation, all news
with a legal reference, their references) and doing nothing with them.
    python bench/alerts.py [--bills 1000] [--news 20000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kuzet.alerts import check_alerts
from kuzet.documents import NewDocument
from kuzet.settings import load_settings
from kuzet.store import Store
from kuzet.store.bills import LEGISLATION_KINDS

SEED = 20261201
RULES = "bench"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
SYLLABLES = ("ка", "ра", "то", "ми", "ле", "ну", "зо", "пе", "ди", "ша", "вы", "го", "лу", "ти",
             "бо", "ре", "жа", "ко", "фи", "ду", "мо", "сы")  # fmt: skip
PREFIX = "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан"


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))


def build(path: Path, n_bills: int, n_news: int) -> None:
    """Bills (a draft, a Kurultai page, an adilet act in ru and kk each), and news."""
    rng = random.Random(SEED)
    subjects = [" ".join(word(rng) for _ in range(4)) for _ in range(n_bills)]
    docs: list[NewDocument] = []
    for i, subject in enumerate(subjects):
        title = f"{PREFIX} по вопросам {subject}"
        day = datetime(2026, 1, 1) + timedelta(days=i % 300)
        dd = day.strftime("%d.%m.%Y")
        docs += [
            NewDocument(url=f"https://legalacts.egov.kz/npa/view?id={20000 + i}", title=title,
                        kind="draft", source="legalacts", lang="ru", text=title,
                        meta={"type": "Проект закона", "created": day.date().isoformat(),
                              "status": "Завершено"}),
            NewDocument(url=f"https://www.parlam.kz/ru/kurultai/law-projects/{5000 + i}",
                        title=title, kind="bill_page", source="kurultai", lang="ru",
                        text=f"{dd} — Курултай одобрил законопроект в первом чтении.",
                        meta={"table_cells": [dd, title, "первое чтение"]}),
        ]  # fmt: skip
        if i % 3 == 0:
            act = f"Z26{i:08d}"
            info = {"Вид акта": "Закон", "Дата принятия": dd, "Статус": "Действующий"}
            for lang, path_lang in (("ru", "rus"), ("kk", "kaz")):
                docs.append(NewDocument(
                    url=f"https://adilet.zan.kz/{path_lang}/docs/{act}", title=title,
                    kind="law", source="adilet", lang=lang, text=title,
                    meta={"doc_id": act, "info": info},
                ))  # fmt: skip
    for j in range(n_news):
        subject = subjects[rng.randrange(n_bills)]
        text = (
            f"Депутаты Курултая одобрили в первом чтении законопроект «{PREFIX} по вопросам "
            f"{subject}». " + " ".join(word(rng) for _ in range(rng.randint(150, 400)))
        )
        when = f"2026-{1 + j % 11:02d}-15T10:00:00+05:00"
        docs.append(NewDocument(url=f"https://news.example.kz/{j}", title=f"Новость {j}",
                                kind="news", source="bench", lang="ru", text=text,
                                published_at=when))  # fmt: skip
    with Store.open(path) as store:
        store.upsert_documents(docs)
        rows = store.documents_to_annotate(RULES)
        store.save_annotations(RULES, [_annotation(r) for r in rows])


def _annotation(row: dict[str, Any]) -> dict[str, Any]:
    """What the NLP stage would store for a synthetic document (its stage phrase, law title)."""
    text, legal = row["text"], []
    news = row["title"].startswith("Новость")
    if "в первом чтении" in text:
        at = text.index("одобрил")
        legal.append({"label": "STAGE", "text": "одобрил в первом чтении", "field": "text",
                      "start_char": at, "end_char": text.index("чтении") + 6,
                      "stage": "first_reading", "date": None})  # fmt: skip
    if news and "«" in text:
        start, end = text.index("«"), text.index("»")
        legal.append({"label": "LAW_TITLE", "text": text[start - 12 : end + 1], "field": "text",
                      "start_char": start - 12, "end_char": end + 1,
                      "title": text[start + 1 : end]})  # fmt: skip
    flagged = row["id"] % 7 == 0
    topics = {"sogi": {"score": 5.0 if flagged else 0.0, "flagged": flagged, "evidence": []}}
    return {"id": row["id"], "version": row["version"], "lang": "ru", "lemmas": "",
            "topics": topics, "legal": legal}  # fmt: skip


def read_rows(store: Store) -> int:
    """The baseline: read every row a check could use (all legislation, all news with their
    legal references), and do nothing with them."""
    n = len(store.legislation_documents())
    n += sum(map(len, store.current_refs(LEGISLATION_KINDS).values()))
    ids = [r["id"] for r in store.news_to_scan()]
    n += len(store.news_documents(ids))
    return n + sum(map(len, store.news_refs(ids).values()))


def timed(fn: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/alerts.py")
    parser.add_argument("--bills", type=int, default=1000)
    parser.add_argument("--news", type=int, default=20000)
    parser.add_argument("--keep", type=Path, help="Build the database in this directory, keep it.")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="kuzet-bench-alerts-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "alerts.db"
    db.unlink(missing_ok=True)
    settings = load_settings()
    try:
        start = time.perf_counter()
        build(db, args.bills, args.news)
        print(f"built {db}: {args.bills} bills' documents, {args.news} news "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        with Store.open(db) as store:
            start = time.perf_counter()
            first = check_alerts(store, settings, now=NOW)
            first_s = time.perf_counter() - start
            print(f"first check: {first_s:.2f} s — {first.new_bills} bills, "
                  f"{first.new_events} events, {first.queued} alert(s)")  # fmt: skip
            again_s = timed(lambda: check_alerts(store, settings, now=NOW))
            read_s = timed(lambda: read_rows(store))
            again = check_alerts(store, settings, now=NOW)
            assert (again.new_events, again.queued) == (0, 0), "a re-check must find nothing"
        print(f"re-check, nothing new (the every-15-minutes case): {again_s:.2f} s")
        print(f"baseline, reading the same rows only: {read_s:.2f} s")
        print(f"ratio re-check / read: {again_s / read_s:.2f}")
        print(f"(news read again by the re-check: {again.news_read})")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
