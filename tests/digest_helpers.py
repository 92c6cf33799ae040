"""Helpers for the digest and cluster tests: documents stored at a chosen time, flagged by hand.

`stored_at(when)` sets the clock the store stamps `first_seen_at` (and run times) with, so a
test can put a document at 23:59 Almaty time without waiting for it. `put` stores a document
through the real Store and saves annotations through the real `save_annotations`, with
evidence pointing at the words given, then clusters it as `kuzet annotate` would.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kuzet import clusters
from kuzet.documents import NewDocument
from kuzet.store import Store

RULES = "test-rules"


@contextlib.contextmanager
def stored_at(when: str) -> Iterator[None]:
    """Make the store stamp `when` (ISO 8601 with offset) as the current time."""
    stamp = datetime.fromisoformat(when).astimezone(UTC).replace(microsecond=0).isoformat()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("kuzet.store.base.now_iso", lambda: stamp)
        mp.setattr("kuzet.store.annotations.now_iso", lambda: stamp)
        yield


def evidence_for(text: str, terms: list[str], field: str = "text") -> list[dict[str, Any]]:
    """Evidence records (rule, text, offsets, weight) for each term found in `text`."""
    out = []
    for term in terms:
        start = text.find(term)
        assert start >= 0, f"{term!r} not in the text"
        out.append(
            {
                "rule": f"test.{term}",
                "weight": 3.0,
                "text": term,
                "start": start,
                "end": start + len(term),
                "sentence": text,
                "field": field,
            }
        )
    return out


def put(
    store: Store,
    when: str,
    *,
    url: str,
    text: str,
    title: str = "A title",
    source: str = "vlast",
    lang: str = "ru",
    kind: str = "news",
    published_at: str | None = None,
    topics: dict[str, float] | None = None,
    terms: list[str] | None = None,
    title_terms: list[str] | None = None,
    warc_file: str | None = None,
) -> int:
    """Store one document first seen at `when`, flagged on `topics` ({topic: score})."""
    with stored_at(when):
        store.upsert_documents(
            [
                NewDocument(
                    url=url,
                    text=text,
                    source=source,
                    kind=kind,
                    title=title,
                    lang=lang,
                    published_at=published_at,
                    warc_file=warc_file,
                    warc_offset=0 if warc_file else None,
                )
            ]
        )
        row = store.db.execute("SELECT id, version FROM documents WHERE url = ?", [url]).fetchone()
        doc_id, version = row
        topics = topics or {}
        evidence = evidence_for(text, terms or []) + evidence_for(title, title_terms or [], "title")
        result = {
            "id": doc_id,
            "version": version,
            "lang": lang,
            "lemmas": None,
            "topics": {
                t: {"score": s, "flagged": True, "evidence": evidence} for t, s in topics.items()
            },
            "legal": [],
        }
        store.save_annotations(RULES, [result])
        clusters.assign(store, [doc_id])
    return int(doc_id)


def distinct_text(n: int, lead: str = "про гей людей") -> str:
    """A text that shares no three-word run with another `n` (so it is its own story)."""
    return f"{lead}. " + " ".join(f"слово{n}x{k}" for k in range(25))


def sql(db: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    """Run a query on the database file directly (the test's own view of the data)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(query, params).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()
