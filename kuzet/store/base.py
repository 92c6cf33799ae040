"""The core of the store: opening and migrating the database, writing documents and runs."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from kuzet import migrations as schema
from kuzet.documents import NewDocument, now_iso
from kuzet.errors import DatabaseNotFoundError, SchemaTooNewError, StoreError

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0
MMAP_BYTES = 1 << 30


@dataclass
class UpsertCounts:
    """How many documents an upsert added, changed (new version) or left as they were."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


def _describe(exc: sqlite3.Error, path: Path) -> str:
    """One line that says what went wrong with the database at `path`."""
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return f"database {path} is busy (another process holds a write lock); try again"
    if "readonly" in msg:
        return f"database {path} is read-only: cannot write to it"
    if "not a database" in msg:
        return f"{path} is not a SQLite database"
    if "unable to open" in msg:
        return f"cannot open database {path}: check that its directory exists and is writable"
    return f"database {path}: {msg}"


class BaseStore:
    """Opening, migrating and writing: the part of Store every other part relies on."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.db = Database(conn)
        self._sources: set[str] = set()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> Self:
        """Open (and with `create`, make) the database at `path`, applying pending migrations.

        Raises DatabaseNotFoundError, SchemaTooNewError or StoreError with a one-line reason;
        a file that is not a Kuzet database is never written to.
        """
        path = Path(path)
        _check_path(path, create=create)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, path)) from exc
        store = cls(path, conn)
        try:
            store._prepare()
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(_describe(exc, path)) from exc
        except StoreError:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        conn = self.db.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Reads of a large database: a 64 MiB page cache and memory-mapped I/O (address space,
        # not memory: the OS pages it in and out).
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id != schema.APPLICATION_ID and tables:
            raise StoreError(f"{self.path} is a SQLite database, but not a Kuzet one")
        self._check_not_newer()
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        if schema.migrations.pending(self.db):
            with self.db.atomic():
                conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            schema.migrations.apply(self.db)
            conn.execute(f"PRAGMA user_version = {len(schema.known_names())}")
            log.info("database %s migrated to %s", self.path, schema.known_names()[-1])

    def _check_not_newer(self) -> None:
        known = schema.known_names()
        applied = [m.name for m in schema.migrations.applied(self.db)]
        unknown = [name for name in applied if name not in known]
        user_version = self.db.conn.execute("PRAGMA user_version").fetchone()[0]
        if unknown or user_version > len(known):
            newest = unknown[-1] if unknown else f"schema {user_version}"
            raise SchemaTooNewError(
                f"{self.path} was made by a newer version of Kuzet ({newest}; this version "
                f"knows up to {known[-1]}): upgrade Kuzet to use it"
            )

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in this database, in order."""
        return [m.name for m in schema.migrations.applied(self.db)]

    def schema_columns(self) -> dict[str, list[str]]:
        """Every user-facing table (FTS shadow tables excluded) with its columns."""
        names = [
            r[0]
            for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'documents_fts_%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            # table_xinfo lists generated columns too; hidden == 1 marks a virtual table's own
            name: [r[1] for r in self.db.execute(f"PRAGMA table_xinfo([{name}])") if r[6] != 1]
            for name in names
        }

    # -- writing ---------------------------------------------------------------------------

    def upsert_source(
        self,
        source_id: str,
        *,
        name: str | None = None,
        kind: str = "unknown",
        url: str | None = None,
        langs: Iterable[str] = (),
        enabled: bool = True,
    ) -> None:
        """Create or update one source row."""
        with self._writing():
            self.db.execute(
                "INSERT INTO sources (id, name, kind, url, langs, enabled, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
                "kind = excluded.kind, url = excluded.url, langs = excluded.langs, "
                "enabled = excluded.enabled",
                [
                    source_id,
                    name or source_id,
                    kind,
                    url,
                    json.dumps(list(langs)),
                    int(enabled),
                    now_iso(),
                ],
            )
        self._sources.add(source_id)

    def _ensure_source(self, source_id: str) -> None:
        if source_id in self._sources:
            return
        self.db.execute(
            "INSERT OR IGNORE INTO sources (id, name, kind, added_at) VALUES (?, ?, 'unknown', ?)",
            [source_id, source_id, now_iso()],
        )
        self._sources.add(source_id)

    def upsert_documents(self, docs: Iterable[NewDocument]) -> UpsertCounts:
        """Store documents in one transaction: new URL -> insert; changed text -> new version.

        The superseded text is kept in `document_versions`. Loading the same document again
        changes nothing but corrections to its title, language, publication date or metadata.
        """
        counts = UpsertCounts()
        with self._writing():
            for doc in docs:
                outcome = self._upsert_one(doc)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
        return counts

    def _upsert_one(self, doc: NewDocument) -> str:
        self._ensure_source(doc.source)
        now = now_iso()
        old = self.db.execute(
            "SELECT id, sha256, version, title, text, published_at, fetched_at, lang, "
            "warc_file, warc_offset, payload_sha256, meta FROM documents WHERE url = ?",
            [doc.url],
        ).fetchone()
        evidence = [json.dumps(doc.meta, ensure_ascii=False), *_archive_ref(doc)]
        if old is None:
            self.db.execute(
                "INSERT INTO documents (url, source, kind, lang, title, text, published_at, "
                "fetched_at, sha256, first_seen_at, updated_at, meta, warc_file, warc_offset, "
                "payload_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    doc.url,
                    doc.source,
                    doc.kind,
                    doc.lang,
                    doc.title,
                    doc.text,
                    doc.published_at,
                    doc.fetched_at,
                    doc.sha256,
                    now,
                    now,
                    *evidence,
                ],
            )
            return "new"
        doc_id, sha, version, title, text, published_at, fetched_at, lang, *old_ref, meta = old
        if sha == doc.sha256:
            # the same text: corrections to title, date, language, and the source's facts
            # (a bill's table row can move to a new stage while its page reads the same)
            new_meta = evidence[0] if doc.meta else meta
            if (title, published_at, lang, meta) != (
                doc.title,
                doc.published_at or published_at,
                doc.lang or lang,
                new_meta,
            ):
                self.db.execute(
                    "UPDATE documents SET title = ?, published_at = coalesce(?, published_at), "
                    "lang = coalesce(?, lang), meta = ?, updated_at = ? WHERE id = ?",
                    [doc.title, doc.published_at, doc.lang, new_meta, now, doc_id],
                )
            return "unchanged"
        self.db.execute(
            "INSERT INTO document_versions (document_id, version, title, text, sha256, "
            "published_at, fetched_at, superseded_at, warc_file, warc_offset, payload_sha256) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [doc_id, version, title, text, sha, published_at, fetched_at, now, *old_ref],
        )
        self.db.execute(
            "UPDATE documents SET source = ?, kind = ?, lang = ?, title = ?, text = ?, "
            "published_at = coalesce(?, published_at), fetched_at = ?, sha256 = ?, "
            "version = version + 1, lemmas = NULL, topics = '[]', rules_version = NULL, "
            "updated_at = ?, meta = ?, warc_file = ?, warc_offset = ?, payload_sha256 = ? "
            "WHERE id = ?",
            [
                doc.source,
                doc.kind,
                doc.lang,
                doc.title,
                doc.text,
                doc.published_at,
                doc.fetched_at,
                doc.sha256,
                now,
                *evidence,
                doc_id,
            ],
        )
        return "changed"

    def start_run(self, job: str, source: str | None = None) -> int:
        """Record the start of a job run; returns its id."""
        with self._writing():
            cur = self.db.execute(
                "INSERT INTO runs (job, source, started_at, status, pid) "
                "VALUES (?, ?, ?, 'running', ?)",
                [job, source, now_iso(), os.getpid()],
            )
        return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, status: str, *, message: str | None = None, **counts: int | str | None
    ) -> None:
        """Record how a run ended: status, counters (pages, new_docs, ...) and a message."""
        allowed = {"pages", "new_docs", "changed_docs", "errors", "method", "warnings"}
        if set(counts) - allowed:
            raise ValueError(f"unknown run fields: {sorted(set(counts) - allowed)}")
        sets = "".join(f", {k} = :{k}" for k in counts)
        with self._writing():
            self.db.execute(
                f"UPDATE runs SET finished_at = :now, status = :status, message = :message{sets} "
                "WHERE id = :id",
                {"now": now_iso(), "status": status, "message": message, "id": run_id, **counts},
            )

    def _writing(self) -> Any:
        """A transaction whose SQLite errors become one-line StoreErrors."""
        return _Transaction(self)

    # -- reading ---------------------------------------------------------------------------

    def source_ids(self) -> list[str]:
        """Ids of every known source."""
        return [r[0] for r in self.db.execute("SELECT id FROM sources ORDER BY id")]

    def count_documents(self) -> int:
        """How many documents (current versions) the database holds."""
        return int(self.db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def _rows(self, sql: str, params: list[Any] | dict[str, Any]) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]

    def _rows_in(self, sql: str, ids: list[Any], chunk: int = 500) -> list[dict[str, Any]]:
        """`_rows` of `sql`, whose `{ids}` stands for a list of `?`, over `ids` in chunks
        (SQLite limits the number of parameters); rows of each chunk in the order `sql`
        gives them."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            rows += self._rows(sql.format(ids=",".join("?" * len(part))), part)
        return rows

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None


class _Transaction:
    """`with store._writing():` — atomic, and SQLite errors reported in one line."""

    def __init__(self, store: BaseStore) -> None:
        self.store = store
        self.atomic = store.db.atomic()

    def __enter__(self) -> None:
        try:
            self.atomic.__enter__()
        except sqlite3.Error as exc:
            raise StoreError(_describe(exc, self.store.path)) from exc

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        try:
            self.atomic.__exit__(exc_type, exc, tb)
        except sqlite3.Error as err:
            raise StoreError(_describe(err, self.store.path)) from err
        if isinstance(exc, sqlite3.Error):
            raise StoreError(_describe(exc, self.store.path)) from exc
        return False


def _archive_ref(doc: NewDocument) -> list[Any]:
    return [doc.warc_file, doc.warc_offset, doc.payload_sha256]


def _check_path(path: Path, *, create: bool) -> None:
    """Fail early, in one line, on paths SQLite would report only vaguely."""
    if path.is_dir():
        raise StoreError(f"database path {path} is a directory, not a file")
    if path.exists():
        # Never open the file ourselves to look at its header: closing any descriptor of it
        # drops every POSIX lock this process holds on it, SQLite's included, and another
        # process could then checkpoint and delete the WAL under an open connection
        # (corruption). SQLite reads the header itself and refuses a file that is not a
        # database ("file is not a database") before writing anything.
        if path.stat().st_size == 0 and not create and not _has_wal(path):
            raise DatabaseNotFoundError(
                f"{path} is an empty file, not a database yet: run 'kuzet import' or "
                "'kuzet migrate' to create one"
            )
        return
    if not create:
        raise DatabaseNotFoundError(
            f"no database at {path}: run 'kuzet import' or 'kuzet migrate' to create one"
        )
    parent = path.parent
    if not parent.exists():
        raise StoreError(f"database directory {parent} does not exist")
    if not parent.is_dir():
        raise StoreError(f"database directory {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"database directory {parent} is not writable")


def _has_wal(path: Path) -> bool:
    """Whether `path` has a write-ahead log with content (its pages may not be in it yet)."""
    wal = path.with_name(path.name + "-wal")
    return wal.is_file() and wal.stat().st_size > 0
