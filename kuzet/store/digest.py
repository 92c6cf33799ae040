"""What the daily digest reads: a day's flagged documents, bills, runs and daily counts.

Every method takes a half-open UTC interval `[lo, hi)` as `YYYY-MM-DDTHH:MM:SSZ` strings (the
digest computes them from an Asia/Almaty day). Stored timestamps are compared after
normalising them to UTC, so a value written with any offset lands on the right day; an index
on first_seen_at narrows the scan first (a margin of a day either side covers any offset).
"""

from __future__ import annotations

import json
from typing import Any

_UTC = "strftime('%Y-%m-%dT%H:%M:%SZ', {col})"
_CHUNK = 900


def _between(col: str) -> str:
    """SQL: `col` falls in [:lo, :hi) (with the index-friendly margins :lo_pre, :hi_post)."""
    return (
        f"{col} >= :lo_pre AND {col} < :hi_post "
        f"AND {_UTC.format(col=col)} >= :lo AND {_UTC.format(col=col)} < :hi"
    )


def _window(lo: str, hi: str) -> dict[str, str]:
    """Bind values for `_between`: the bounds and a day's margin either side (date strings)."""
    from datetime import date, timedelta

    pre = date.fromisoformat(lo[:10]) - timedelta(days=1)
    post = date.fromisoformat(hi[:10]) + timedelta(days=2)
    return {"lo": lo, "hi": hi, "lo_pre": pre.isoformat(), "hi_post": post.isoformat()}


class DigestMixin:
    """Digest queries (mixed into Store). Bills: the `bills` and `bill_events` tables."""

    # -- documents -------------------------------------------------------------------------

    def flagged_first_seen(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Documents first stored in [lo, hi) and flagged on some topic, without their text.

        Each row has `topics` (list) and `scores` ({topic: score}) and `evidence`
        ({topic: [evidence...]}) from the annotations of its current rules version.
        """
        rows = self._rows(
            "SELECT d.id, d.url, d.source, coalesce(s.name, d.source) AS source_name, d.kind, "
            "d.lang, d.title, d.published_at, d.fetched_at, d.first_seen_at, d.dated_utc, "
            "d.topics, d.rules_version, d.version, d.warc_file, d.warc_offset, "
            "coalesce(d.cluster_id, d.id) AS cluster_id "
            "FROM documents d LEFT JOIN sources s ON s.id = d.source "
            f"WHERE {_between('d.first_seen_at')} AND d.topics != '[]' ORDER BY d.id",
            _window(lo, hi),
        )
        by_id = {r["id"]: r for r in rows}
        for r in rows:
            r["topics"] = json.loads(r["topics"])
            r["scores"], r["evidence"] = {}, {}
        for a in self._rows_in(
            "SELECT a.document_id, a.topic, a.score, a.evidence FROM annotations a "
            "JOIN documents d ON d.id = a.document_id AND d.rules_version = a.rules_version "
            "WHERE a.flagged = 1 AND a.document_id IN ({ids})",
            list(by_id),
            _CHUNK,
        ):
            doc = by_id[a["document_id"]]
            doc["scores"][a["topic"]] = a["score"]
            doc["evidence"][a["topic"]] = json.loads(a["evidence"])
        return rows

    def document_texts(self, ids: list[int]) -> dict[int, str]:
        """The current text of each document."""
        rows = self._rows_in("SELECT id, text FROM documents WHERE id IN ({ids})", ids, _CHUNK)
        return {r["id"]: r["text"] for r in rows}

    def first_seen_counts(self, lo: str, hi: str) -> dict[str, int]:
        """Documents first stored in [lo, hi): `stored`, `unannotated` (no rules version yet)."""
        row = self.db.execute(
            "SELECT count(*), coalesce(sum(rules_version IS NULL), 0) FROM documents "
            f"WHERE {_between('first_seen_at')}",
            _window(lo, hi),
        ).fetchone()
        return {"stored": int(row[0]), "unannotated": int(row[1])}

    def flag_times(self, lo: str, hi: str) -> list[tuple[str, str]]:
        """(first_seen_at in UTC, topic) for every flag of documents first stored in [lo, hi)."""
        rows = self.db.execute(
            f"SELECT {_UTC.format(col='d.first_seen_at')}, t.value FROM documents d, "
            f"json_each(d.topics) t WHERE {_between('d.first_seen_at')} AND d.topics != '[]'",
            _window(lo, hi),
        )
        return [(r[0], r[1]) for r in rows]

    # -- bills -----------------------------------------------------------------------------

    def relevant_bills_seen(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Relevant bills (topics, or tracked by hand) first seen in [lo, hi)."""
        return self._bill_rows(
            f"SELECT * FROM bills WHERE {_between('first_seen_at')} "
            "AND (topics != '[]' OR tracked = 1) ORDER BY id",
            _window(lo, hi),
        )

    def relevant_bill_events(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Events recorded in [lo, hi) for relevant bills, by bill and in the order they were
        recorded (`kuzet.bills.ordered` puts them in timeline order)."""
        return self._rows(
            "SELECT e.id, e.bill_id, e.stage, e.event_date, e.source, "
            "coalesce(s.name, e.source) AS source_name, e.document_id, "
            "coalesce(e.url, d.url) AS url, e.recorded_at FROM bill_events e "
            "JOIN bills b ON b.id = e.bill_id LEFT JOIN sources s ON s.id = e.source "
            "LEFT JOIN documents d ON d.id = e.document_id "
            f"WHERE {_between('e.recorded_at')} AND (b.topics != '[]' OR b.tracked = 1) "
            "ORDER BY e.bill_id, e.id",
            _window(lo, hi),
        )

    def bills_by_id(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Bills by id, JSON columns decoded."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._bill_rows(f"SELECT * FROM bills WHERE id IN ({marks})", ids)
        return {r["id"]: r for r in rows}

    def _bill_rows(self, sql: str, params: Any) -> list[dict[str, Any]]:
        rows = self._rows(sql, params)
        for r in rows:
            r["topics"] = json.loads(r["topics"] or "[]")
            r["identifiers"] = json.loads(r["identifiers"] or "{}")
        return rows

    # -- runs ------------------------------------------------------------------------------

    def crawl_runs_between(self, lo: str, hi: str) -> list[dict[str, Any]]:
        """Crawl runs started in [lo, hi), oldest first."""
        return self._rows(
            f"SELECT * FROM runs WHERE job = 'crawl' AND {_between('started_at')} ORDER BY id",
            _window(lo, hi),
        )

    # -- outbox ----------------------------------------------------------------------------
