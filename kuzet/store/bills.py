"""Bills, their identifiers, documents and timelines; what the bill tracker reads to derive them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kuzet.documents import now_iso
from kuzet.errors import NotFoundError, StoreError

LEGISLATION_KINDS = ("law", "draft", "bill_page")
NEWS_LABELS = ("ADILET_ID", "BILL_NUMBER", "LAW_TITLE", "STAGE")
_BILL_COLUMNS = (
    "id, key, title_ru, title_kk, identifiers, initiator, stage, stage_date, topics, tracked, "
    "announced, announced_at, first_seen_at, updated_at"
)
_EVENT_COLUMNS = (
    "id, bill_id, stage, event_date, source, document_id, url, evidence, recorded_at, alert"
)


def _decode(row: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if isinstance(row.get(name), str):
            row[name] = json.loads(row[name])
    return row


class BillsMixin:
    """Bill records (mixed into Store)."""

    # -- one run of the tracker: a single write transaction --------------------------------

    @contextmanager
    def bills_transaction(self, *, dry_run: bool = False) -> Iterator[None]:
        """Everything a tracker run writes, as one transaction taken before it reads.

        Two runs (the scheduler's and a user's) cannot interleave; a run that stops half way
        leaves nothing behind. With `dry_run` the transaction is rolled back at the end.
        """
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: cannot start the bills update: {exc}") from exc
        try:
            yield
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"database {self.path}: the bills update failed: {exc}") from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("ROLLBACK" if dry_run else "COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: the bills update failed: {exc}") from exc

    # -- what the tracker reads ------------------------------------------------------------

    def legislation_documents(self) -> list[dict[str, Any]]:
        """Laws, drafts and bill pages with metadata and flags (an act's text: first 600 chars)."""
        marks = ",".join("?" * len(LEGISLATION_KINDS))
        rows = self._rows(
            "SELECT id, url, source, kind, lang, title, substr(text, 1, 600) AS head, "
            "CASE kind WHEN 'law' THEN '' ELSE text END AS text, "
            "published_at, fetched_at, dated_utc, meta, topics, rules_version "
            f"FROM documents WHERE kind IN ({marks}) ORDER BY dated_utc, id",
            list(LEGISLATION_KINDS),
        )
        for r in rows:
            _decode(r, "meta", "topics")
            r["meta"] = r["meta"] if isinstance(r["meta"], dict) else {}
            r["topics"] = r["topics"] if isinstance(r["topics"], list) else []
        return rows

    def news_to_scan(self) -> list[dict[str, Any]]:
        """News with an id, number, law title or stage phrase under its current rules, with
        what the tracker read of it last time (`scanned_*`, NULL if never)."""
        marks = ",".join("?" * len(NEWS_LABELS))
        return self._rows(
            "SELECT d.id, d.version, d.rules_version, s.version AS scanned_version, "
            "s.rules_version AS scanned_rules, s.aliases AS scanned_aliases "
            "FROM documents d LEFT JOIN bill_news_scans s ON s.document_id = d.id "
            "WHERE d.kind = 'news' AND EXISTS (SELECT 1 FROM legal_refs r "
            "WHERE r.document_id = d.id AND r.rules_version = d.rules_version "
            f"AND r.label IN ({marks})) ORDER BY d.dated_utc, d.id",
            list(NEWS_LABELS),
        )

    def news_documents(self, ids: list[int]) -> list[dict[str, Any]]:
        """These news items with their text and flags, oldest first."""
        found = self._rows_in(
            "SELECT id, url, source, lang, title, text, published_at, dated_utc, topics, "
            "version, rules_version FROM documents WHERE id IN ({ids})",
            ids,
        )
        found.sort(key=lambda r: (r["dated_utc"] or "", r["id"]))
        return [_decode(r, "topics") for r in found]

    def news_refs(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Legal references of these news items under their current rules."""
        refs: dict[int, list[dict[str, Any]]] = {}
        for r in self._rows_in(
            "SELECT r.document_id, r.label, r.text, r.field, r.start_char, r.end_char, "
            "r.attrs FROM legal_refs r JOIN documents d ON d.id = r.document_id AND "
            "d.rules_version = r.rules_version WHERE d.id IN ({ids}) "
            "ORDER BY r.document_id, r.seq",
            ids,
        ):
            refs.setdefault(r["document_id"], []).append(_decode(r, "attrs"))
        return refs

    def mark_news_scanned(self, rows: list[dict[str, Any]], aliases: int) -> None:
        """Record that these news items (id, version, rules_version) were read."""
        now = now_iso()
        self.db.conn.executemany(
            "INSERT INTO bill_news_scans (document_id, version, rules_version, aliases, "
            "scanned_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(document_id) DO UPDATE SET "
            "version = excluded.version, rules_version = excluded.rules_version, "
            "aliases = excluded.aliases, scanned_at = excluded.scanned_at",
            [(r["id"], r["version"], r["rules_version"], aliases, now) for r in rows],
        )

    def alias_generation(self) -> int:
        """How far bill_aliases goes (its largest rowid; aliases are never removed)."""
        return int(
            self.db.execute("SELECT coalesce(max(rowid), 0) FROM bill_aliases").fetchone()[0]
        )

    def news_links(self) -> list[dict[str, Any]]:
        """Every news item linked to a bill, with the item's flags."""
        rows = self._rows(
            "SELECT l.bill_id, l.document_id, d.topics FROM bill_documents l "
            "JOIN documents d ON d.id = l.document_id WHERE l.role = 'news'",
            [],
        )
        return [_decode(r, "topics") for r in rows]

    def bill_aliases_since(self, generation: int) -> list[dict[str, Any]]:
        """Aliases added after `generation` (see alias_generation)."""
        return self._rows(
            "SELECT bill_id, kind, value FROM bill_aliases WHERE rowid > ?", [generation]
        )

    def current_refs(self, kinds: tuple[str, ...]) -> dict[int, list[dict[str, Any]]]:
        """Legal references of documents of these kinds, under each one's current rules."""
        marks = ",".join("?" * len(kinds))
        refs: dict[int, list[dict[str, Any]]] = {}
        for r in self._rows(
            "SELECT r.document_id, r.label, r.text, r.field, r.start_char, r.end_char, r.attrs "
            "FROM legal_refs r JOIN documents d ON d.id = r.document_id "
            f"AND d.rules_version = r.rules_version WHERE d.kind IN ({marks}) "
            "ORDER BY r.document_id, r.seq",
            list(kinds),
        ):
            refs.setdefault(r["document_id"], []).append(_decode(r, "attrs"))
        return refs

    def flag_evidence(self, document_ids: list[int]) -> dict[int, dict[str, list[Any]]]:
        """For each document, its flagged topics with their evidence (current rules)."""
        found: dict[int, dict[str, list[Any]]] = {}
        for r in self._rows_in(
            "SELECT a.document_id, a.topic, a.evidence FROM annotations a JOIN documents d "
            "ON d.id = a.document_id AND d.rules_version = a.rules_version "
            "WHERE a.flagged = 1 AND a.document_id IN ({ids}) ORDER BY a.topic",
            document_ids,
        ):
            found.setdefault(r["document_id"], {})[r["topic"]] = json.loads(r["evidence"])
        return found

    # -- bills: reading --------------------------------------------------------------------

    def bills_state(self) -> dict[str, Any]:
        """Every bill with its aliases, document links and events (the tracker's memory)."""
        bills = [_decode(r, "identifiers", "topics") for r in self._rows(
            f"SELECT {_BILL_COLUMNS} FROM bills ORDER BY id", []
        )]  # fmt: skip
        aliases = self._rows("SELECT bill_id, kind, value FROM bill_aliases", [])
        links = self._rows("SELECT bill_id, document_id, role, matched_by FROM bill_documents", [])
        events = [
            _decode(r, "evidence")
            for r in self._rows(f"SELECT {_EVENT_COLUMNS} FROM bill_events ORDER BY id", [])
        ]
        return {"bills": bills, "aliases": aliases, "links": links, "events": events}

    def find_bill(self, ref: str) -> dict[str, Any]:
        """A bill by id, key, or any identifier: as stored (`Z2600000312`, `312-VIII`, `С-412`,
        `kurultai/3101`) or written as a key would be (`kurultai-3101`, `legalacts-15210`)."""
        ref = str(ref).strip()
        row = None
        if ref.isdigit():
            row = self._one(f"SELECT {_BILL_COLUMNS} FROM bills WHERE id = ?", [int(ref)])
        if row is None:
            row = self._one(f"SELECT {_BILL_COLUMNS} FROM bills WHERE key = ?", [ref])
        if row is None:
            ids = self._bills_by_alias(ref)
            if len(ids) > 1:
                keys = [r["key"] for r in self._rows(
                    f"SELECT key FROM bills WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id",
                    ids,
                )]  # fmt: skip
                raise NotFoundError(f"{ref!r} names {len(ids)} bills: {', '.join(keys)} (give one)")
            if ids:
                row = self._one(f"SELECT {_BILL_COLUMNS} FROM bills WHERE id = ?", ids)
        if row is None:
            raise NotFoundError(
                f"no bill {ref!r} (give an id, key or identifier from 'kuzet bills list')"
            )
        return _decode(row, "identifiers", "topics")

    def _bills_by_alias(self, ref: str) -> list[int]:
        """Bills with an identifier that is `ref`, written as stored or as a key."""
        from kuzet.bills import ID_KINDS, key_for, norm_id

        found: set[int] = set()
        for kind in ID_KINDS:
            value = norm_id(kind, ref)
            if value is not None:
                found |= {r["bill_id"] for r in self._rows(
                    "SELECT bill_id FROM bill_aliases WHERE kind = ? AND value = ?", [kind, value]
                )}  # fmt: skip
        head, dash, tail = ref.partition("-")
        if dash and tail and not found:  # `kurultai-3101`: a page, `legalacts-15210`: a draft
            wanted = ref.lower()
            for r in self._rows(
                "SELECT bill_id, kind, value FROM bill_aliases WHERE (kind = 'page' AND "
                "value LIKE ? || '/%') OR (kind = ? AND value = ?)",
                [head.lower(), head.lower(), tail],
            ):
                if key_for(r["kind"], r["value"]).lower() == wanted:
                    found.add(r["bill_id"])
        return sorted(found)

    def list_bills(
        self, *, everything: bool = False, stage: str | None = None
    ) -> list[dict[str, Any]]:
        """Bills, latest move first: relevant or tracked ones, or `everything`."""
        rows = self._rows(
            f"SELECT {_BILL_COLUMNS} FROM bills WHERE (:all OR tracked = 1 OR topics != '[]') "
            "AND (:stage IS NULL OR stage = :stage) "
            "ORDER BY coalesce((SELECT max(event_date) FROM bill_events e WHERE e.bill_id = "
            "bills.id), substr(first_seen_at, 1, 10)) DESC, id DESC",
            {"all": int(everything), "stage": stage},
        )
        return [_decode(r, "identifiers", "topics") for r in rows]

    def bill_timeline(self, bill_id: int) -> list[dict[str, Any]]:
        """A bill's events (unordered; `kuzet.bills.ordered` sorts them)."""
        return [
            _decode(r, "evidence")
            for r in self._rows(
                f"SELECT {_EVENT_COLUMNS} FROM bill_events WHERE bill_id = ?", [bill_id]
            )
        ]

    def bill_documents(self, bill_id: int) -> list[dict[str, Any]]:
        """The documents linked to a bill, oldest first, with how each was matched."""
        rows = self._rows(
            "SELECT d.id, d.url, d.source, d.kind, d.lang, d.title, d.dated_utc, d.topics, "
            "l.role, l.matched_by FROM bill_documents l JOIN documents d ON d.id = l.document_id "
            "WHERE l.bill_id = ? ORDER BY d.dated_utc, d.id",
            [bill_id],
        )
        return [_decode(r, "topics") for r in rows]

    # -- bills: writing (inside bills_transaction) -----------------------------------------

    def insert_bill(self, fields: dict[str, Any]) -> int:
        """A new bill row; returns its id."""
        now = now_iso()
        row = {"first_seen_at": now, "updated_at": now, **fields}
        for name in ("identifiers", "topics"):
            if not isinstance(row.get(name, ""), str):
                row[name] = json.dumps(row[name], ensure_ascii=False)
        names = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        cur = self.db.execute(f"INSERT INTO bills ({names}) VALUES ({marks})", row)
        return int(cur.lastrowid or 0)

    def update_bill(self, bill_id: int, fields: dict[str, Any]) -> None:
        """Change some columns of a bill (updated_at is set)."""
        row = dict(fields)
        for name in ("identifiers", "topics"):
            if name in row and not isinstance(row[name], str):
                row[name] = json.dumps(row[name], ensure_ascii=False)
        row["updated_at"] = now_iso()
        sets = ", ".join(f"{k} = :{k}" for k in row)
        self.db.execute(f"UPDATE bills SET {sets} WHERE id = :bill_id", {**row, "bill_id": bill_id})

    def add_bill_alias(self, bill_id: int, kind: str, value: str) -> None:
        """Record an identifier or title core of a bill."""
        self.db.execute(
            "INSERT OR IGNORE INTO bill_aliases (bill_id, kind, value) VALUES (?, ?, ?)",
            [bill_id, kind, value],
        )

    def link_bill_document(
        self, bill_id: int, document_id: int, role: str, matched_by: str
    ) -> None:
        """Record that a document is about a bill (its own page, or news)."""
        self.db.execute(
            "INSERT OR IGNORE INTO bill_documents (bill_id, document_id, role, matched_by, "
            "linked_at) VALUES (?, ?, ?, ?, ?)",
            [bill_id, document_id, role, matched_by[:200], now_iso()],
        )

    def insert_bill_event(self, event: dict[str, Any]) -> int:
        """A new event of a bill's timeline; returns its id."""
        cur = self.db.execute(
            "INSERT INTO bill_events (bill_id, stage, event_date, source, document_id, url, "
            "evidence, recorded_at, alert) VALUES (:bill_id, :stage, :event_date, :source, "
            ":document_id, :url, :evidence, :recorded_at, :alert)",
            {
                **event,
                "evidence": json.dumps(event["evidence"], ensure_ascii=False),
                "recorded_at": event.get("recorded_at") or now_iso(),
                "alert": event.get("alert"),
            },
        )
        return int(cur.lastrowid or 0)

    def update_bill_event(self, event_id: int, fields: dict[str, Any]) -> None:
        """Change some columns of an event (a better date, more evidence, the alert state)."""
        row = dict(fields)
        if "evidence" in row:
            row["evidence"] = json.dumps(row["evidence"], ensure_ascii=False)
        sets = ", ".join(f"{k} = :{k}" for k in row)
        self.db.execute(
            f"UPDATE bill_events SET {sets} WHERE id = :event_id", {**row, "event_id": event_id}
        )

    def set_tracked(self, bill_id: int, tracked: bool) -> bool:
        """Follow a bill by hand (or stop); returns False if it already was (or was not)."""
        with self._writing():
            cur = self.db.execute(
                "UPDATE bills SET tracked = ?, updated_at = ? WHERE id = ? AND tracked != ?",
                [int(tracked), now_iso(), bill_id, int(tracked)],
            )
        return cur.rowcount > 0
