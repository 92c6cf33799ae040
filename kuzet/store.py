"""The only module that talks to SQLite: opening, migrating, upserting and querying."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kuzet import migrations as schema
from kuzet.documents import NewDocument, now_iso
from kuzet.errors import (
    DatabaseNotFoundError,
    NotFoundError,
    SchemaTooNewError,
    SearchSyntaxError,
    StoreError,
)

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0
#: Markers around highlighted words in snippets; formatters replace them.
HL_START, HL_END = "\x02", "\x03"
_DOC_COLUMNS = (
    "id, url, source, kind, lang, title, published_at, fetched_at, dated_utc, "
    "sha256, version, topics, rules_version"
)
_PENDING = (
    "(rules_version IS NULL OR rules_version != :rules) AND (:since IS NULL OR dated_utc >= :since)"
)
_FTS_ERRORS = ("fts5:", "no such column", "unknown special query", "unterminated string")


@dataclass
class UpsertCounts:
    """How many documents an upsert added, changed (new version) or left as they were."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged


@dataclass
class SearchFilters:
    """Validated filters for `Store.search`; timestamps are UTC `YYYY-MM-DDTHH:MM:SSZ`."""

    topic: str | None = None
    lang: str | None = None
    source: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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


class Store:
    """A Kuzet database: one SQLite file in WAL mode, migrated on open."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.db = Database(conn)
        self._sources: set[str] = set()

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> Store:
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

    def __enter__(self) -> Store:
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
        changes nothing but corrections to its title, language or publication date.
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
            "warc_file, warc_offset, payload_sha256 FROM documents WHERE url = ?",
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
        doc_id, sha, version, title, text, published_at, fetched_at, lang, *old_ref = old
        if sha == doc.sha256:
            if (title, published_at, lang) != (
                doc.title,
                doc.published_at or published_at,
                doc.lang or lang,
            ):
                self.db.execute(
                    "UPDATE documents SET title = ?, published_at = coalesce(?, published_at), "
                    "lang = coalesce(?, lang), updated_at = ? WHERE id = ?",
                    [doc.title, doc.published_at, doc.lang, now, doc_id],
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

    def documents_to_annotate(
        self,
        rules_version: str,
        *,
        limit: int | None = None,
        since: str | None = None,
        after_id: int = 0,
    ) -> list[dict[str, Any]]:
        """Documents not yet annotated under `rules_version`, by id, from after `after_id`."""
        return self._rows(
            "SELECT id, title, text, lang, version FROM documents WHERE "
            f"{_PENDING} AND id > :after ORDER BY id LIMIT :limit",
            {
                "rules": rules_version,
                "since": since,
                "after": after_id,
                "limit": -1 if limit is None else limit,
            },
        )

    def count_to_annotate(self, rules_version: str, *, since: str | None = None) -> int:
        """How many documents are not yet annotated under `rules_version`."""
        row = self.db.execute(
            f"SELECT count(*) FROM documents WHERE {_PENDING}",
            {"rules": rules_version, "since": since},
        ).fetchone()
        return int(row[0])

    def save_annotations(self, rules_version: str, results: Iterable[dict[str, Any]]) -> None:
        """Store NLP results in one transaction.

        Each result: `id`, `version` (the document version annotated), `lang`, `lemmas`,
        `topics` ({label: {score, flagged, evidence}}) and `legal` (list of references).
        A document whose text changed meanwhile (other version) is left for the next run.
        """
        now = now_iso()
        with self._writing():
            for r in results:
                cur = self.db.execute(
                    "UPDATE documents SET lang = :lang, lemmas = :lemmas, topics = :topics, "
                    "rules_version = :rules WHERE id = :id AND version = :version",
                    {
                        "lang": r["lang"],
                        "lemmas": r["lemmas"],
                        "rules": rules_version,
                        "topics": json.dumps([t for t, v in r["topics"].items() if v["flagged"]]),
                        "id": r["id"],
                        "version": r["version"],
                    },
                )
                if cur.rowcount:
                    self._replace_annotations(rules_version, r, now)

    def _replace_annotations(self, rules_version: str, r: dict[str, Any], now: str) -> None:
        key = {"id": r["id"], "rules": rules_version}
        self.db.execute(
            "DELETE FROM annotations WHERE document_id = :id AND rules_version = :rules", key
        )
        self.db.execute(
            "DELETE FROM legal_refs WHERE document_id = :id AND rules_version = :rules", key
        )
        for topic, v in r["topics"].items():
            self.db.execute(
                "INSERT INTO annotations (document_id, rules_version, topic, score, flagged, "
                "evidence, doc_version, annotated_at) VALUES (?,?,?,?,?,?,?,?)",
                [
                    r["id"],
                    rules_version,
                    topic,
                    v["score"],
                    int(v["flagged"]),
                    json.dumps(v["evidence"], ensure_ascii=False),
                    r["version"],
                    now,
                ],
            )
        for seq, ref in enumerate(r["legal"]):
            attrs = {
                k: v
                for k, v in ref.items()
                if k not in ("label", "text", "field", "start_char", "end_char")
            }
            self.db.execute(
                "INSERT INTO legal_refs (document_id, rules_version, seq, label, text, field, "
                "start_char, end_char, attrs) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    r["id"],
                    rules_version,
                    seq,
                    ref["label"],
                    ref["text"],
                    ref["field"],
                    ref["start_char"],
                    ref["end_char"],
                    json.dumps(attrs, ensure_ascii=False),
                ],
            )

    def start_run(self, job: str, source: str | None = None) -> int:
        """Record the start of a job run; returns its id."""
        with self._writing():
            cur = self.db.execute(
                "INSERT INTO runs (job, source, started_at, status) VALUES (?, ?, ?, 'running')",
                [job, source, now_iso()],
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

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a feed's ETag / Last-Modified for the next conditional request."""
        with self._writing():
            self.db.execute(
                "INSERT OR REPLACE INTO http_validators (url, etag, last_modified, checked_at) "
                "VALUES (?, ?, ?, ?)",
                [url, etag, last_modified, now_iso()],
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

    def search(
        self,
        match: str | None,
        filters: SearchFilters,
        *,
        sort: str = "rank",
        limit: int | None = 20,
        offset: int = 0,
        with_text: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Documents matching an FTS5 `match` expression (or all, if None) and the filters.

        Rows carry `snippet` and `title_hl` with HL_START/HL_END around matched words, and
        `score` (bm25, lower is better) when there is a match expression.
        Raises SearchSyntaxError for a malformed expression.
        """
        sql, params = _search_sql(
            match, filters, sort=sort, limit=limit, offset=offset, with_text=with_text
        )
        try:
            cursor = self.db.execute(sql, params)
            columns = [c[0] for c in cursor.description]
            first = cursor.fetchmany(200)
        except sqlite3.OperationalError as exc:
            raise _search_error(exc, self.path) from exc
        yield from (dict(zip(columns, row, strict=True)) for row in first)
        try:
            while rows := cursor.fetchmany(200):
                yield from (dict(zip(columns, row, strict=True)) for row in rows)
        except sqlite3.OperationalError as exc:
            raise _search_error(exc, self.path) from exc

    def get_document(self, ref: str) -> dict[str, Any]:
        """One document by id or URL, with its text, annotations and earlier versions."""
        column = "id" if ref.isdigit() else "url"
        row = self._one(f"SELECT {_DOC_COLUMNS}, text FROM documents WHERE {column} = ?", [ref])
        if row is None:
            raise NotFoundError(f"no document with {column} {ref}")
        row["topics"] = json.loads(row["topics"])
        row["annotations"] = [
            {**a, "evidence": json.loads(a["evidence"])}
            for a in self._rows(
                "SELECT rules_version, topic, score, flagged, evidence, doc_version, annotated_at "
                "FROM annotations WHERE document_id = ? ORDER BY annotated_at DESC, topic",
                [row["id"]],
            )
        ]
        row["legal_refs"] = [
            {**ref, "attrs": json.loads(ref["attrs"])}
            for ref in self._rows(
                "SELECT label, text, field, start_char, end_char, attrs FROM legal_refs "
                "WHERE document_id = ? AND rules_version = ? ORDER BY seq",
                [row["id"], row["rules_version"]],
            )
        ]
        row["versions"] = self._rows(
            "SELECT version, title, sha256, published_at, fetched_at, superseded_at "
            "FROM document_versions WHERE document_id = ? ORDER BY version",
            [row["id"]],
        )
        return row

    def stored_sha(self, url: str) -> str | None:
        """SHA-256 of the current text stored at `url`, if any."""
        row = self.db.execute("SELECT sha256 FROM documents WHERE url = ?", [url]).fetchone()
        return row[0] if row else None

    def same_text_url(self, source: str, sha256: str, url: str) -> str | None:
        """Another URL of `source` whose current text has this hash (a duplicate), if any."""
        row = self.db.execute(
            "SELECT url FROM documents WHERE source = ? AND sha256 = ? AND url != ? LIMIT 1",
            [source, sha256, url],
        ).fetchone()
        return row[0] if row else None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified last seen for `url`."""
        row = self.db.execute(
            "SELECT etag, last_modified FROM http_validators WHERE url = ?", [url]
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def archive_ref(self, ref: str) -> dict[str, Any]:
        """Where a document's (current, or `ID@VERSION`) response is archived."""
        doc_ref, _, version = ref.partition("@")
        doc = self.get_document(doc_ref)
        row: dict[str, Any] | None = {**doc}
        if version and int(version) != doc["version"]:
            row = self._one(
                "SELECT version, warc_file, warc_offset, payload_sha256, fetched_at "
                "FROM document_versions WHERE document_id = ? AND version = ?",
                [doc["id"], int(version)],
            )
        if row is None:
            raise NotFoundError(f"document {doc_ref} has no version {version}")
        extra = self._one(
            "SELECT warc_file, warc_offset, payload_sha256 FROM documents WHERE id = ?",
            [doc["id"]],
        )
        if not version or int(version) == doc["version"]:
            row.update(extra or {})
        if not row.get("warc_file"):
            raise NotFoundError(f"document {doc_ref} has no archived response (imported?)")
        return {"id": doc["id"], "url": doc["url"], **row}

    def last_runs(self, job: str = "crawl") -> dict[str, dict[str, Any]]:
        """The latest run of `job` for each source."""
        rows = self._rows(
            "SELECT r.* FROM runs r JOIN (SELECT source, max(id) AS id FROM runs "
            "WHERE job = ? GROUP BY source) l ON r.id = l.id",
            [job],
        )
        return {r["source"]: r for r in rows}

    def run_rows(self, job: str = "crawl", since_id: int = 0) -> list[dict[str, Any]]:
        """Runs of `job` with an id above `since_id`, oldest first."""
        return self._rows(
            "SELECT * FROM runs WHERE job = ? AND id > ? ORDER BY id", [job, since_id]
        )

    def _rows(self, sql: str, params: list[Any] | dict[str, Any]) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None


class _Transaction:
    """`with store._writing():` — atomic, and SQLite errors reported in one line."""

    def __init__(self, store: Store) -> None:
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
        with path.open("rb") as fh:
            header = fh.read(16)
        if header and header != SQLITE_HEADER:
            raise StoreError(f"{path} is not a SQLite database")
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


def _search_error(exc: sqlite3.OperationalError, path: Path) -> Exception:
    msg = str(exc)
    if any(marker in msg for marker in _FTS_ERRORS):
        return SearchSyntaxError(f"malformed search query: {msg.removeprefix('fts5: ')}")
    return StoreError(_describe(exc, path))


def _search_sql(
    match: str | None,
    f: SearchFilters,
    *,
    sort: str,
    limit: int | None,
    offset: int,
    with_text: bool,
) -> tuple[str, dict[str, Any]]:
    cols = [f"d.{c.strip()}" for c in _DOC_COLUMNS.split(",")]
    if with_text:
        cols.append("d.text")
    where: list[str] = []
    params: dict[str, Any] = {"limit": -1 if limit is None else limit, "offset": offset}
    if match:
        source = "documents_fts JOIN documents d ON d.id = documents_fts.rowid"
        where.append("documents_fts MATCH :match")
        params["match"] = match
        cols += [
            f"snippet(documents_fts, 1, '{HL_START}', '{HL_END}', '…', 24) AS snippet",
            f"highlight(documents_fts, 0, '{HL_START}', '{HL_END}') AS title_hl",
            "documents_fts.rank AS score",
        ]
        order = "documents_fts.rank" if sort == "rank" else "d.dated_utc DESC, d.id DESC"
    else:
        source = "documents d"
        cols += ["substr(d.text, 1, 240) AS snippet", "d.title AS title_hl", "NULL AS score"]
        order = "d.dated_utc DESC, d.id DESC"
    for name in ("lang", "source", "kind"):
        if getattr(f, name):
            where.append(f"d.{name} = :{name}")
            params[name] = getattr(f, name)
    if f.topic:
        where.append("EXISTS (SELECT 1 FROM json_each(d.topics) WHERE value = :topic)")
        params["topic"] = f.topic
    if f.since:
        where.append("d.dated_utc >= :since")
        params["since"] = f.since
    if f.until:
        where.append("d.dated_utc <= :until")
        params["until"] = f.until
    sql = (
        f"SELECT {', '.join(cols)} FROM {source}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {order} LIMIT :limit OFFSET :offset"
    )
    return sql, params
