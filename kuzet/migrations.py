"""The database schema as named, ordered migrations (applied by `kuzet.store`).

Each migration is a list of SQL statements run in one transaction together with the record
that it was applied. Add new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

#: Marks a SQLite file as a Kuzet database (PRAGMA application_id): "KUZT".
APPLICATION_ID = 0x4B555A54

migrations = Migrations("kuzet")

_INITIAL = [
    """CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        url TEXT,
        langs TEXT NOT NULL DEFAULT '[]',
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        added_at TEXT NOT NULL
    )""",
    """CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL REFERENCES sources(id),
        kind TEXT NOT NULL CHECK (kind IN ('news', 'law', 'draft', 'bill_page')),
        lang TEXT,
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        lemmas TEXT,
        published_at TEXT,
        fetched_at TEXT NOT NULL,
        dated_utc TEXT GENERATED ALWAYS AS
            (strftime('%Y-%m-%dT%H:%M:%SZ', coalesce(published_at, fetched_at))) STORED,
        sha256 TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        topics TEXT NOT NULL DEFAULT '[]',
        rules_version TEXT,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX documents_source ON documents(source, dated_utc)",
    "CREATE INDEX documents_lang ON documents(lang, dated_utc)",
    "CREATE INDEX documents_kind ON documents(kind, dated_utc)",
    "CREATE INDEX documents_dated ON documents(dated_utc)",
    "CREATE INDEX documents_rules ON documents(rules_version)",
    """CREATE TABLE document_versions (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        published_at TEXT,
        fetched_at TEXT NOT NULL,
        superseded_at TEXT NOT NULL,
        PRIMARY KEY (document_id, version)
    )""",
    """CREATE TABLE annotations (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        rules_version TEXT NOT NULL,
        topic TEXT NOT NULL,
        score REAL NOT NULL,
        flagged INTEGER NOT NULL CHECK (flagged IN (0, 1)),
        evidence TEXT NOT NULL DEFAULT '[]',
        doc_version INTEGER NOT NULL,
        annotated_at TEXT NOT NULL,
        PRIMARY KEY (document_id, rules_version, topic)
    )""",
    "CREATE INDEX annotations_topic ON annotations(topic, flagged)",
    """CREATE TABLE bills (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        title_ru TEXT,
        title_kk TEXT,
        identifiers TEXT NOT NULL DEFAULT '{}',
        initiator TEXT,
        stage TEXT,
        stage_date TEXT,
        topics TEXT NOT NULL DEFAULT '[]',
        tracked INTEGER NOT NULL DEFAULT 0 CHECK (tracked IN (0, 1)),
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX bills_stage ON bills(stage)",
    """CREATE TABLE bill_events (
        id INTEGER PRIMARY KEY,
        bill_id INTEGER NOT NULL REFERENCES bills(id) ON DELETE CASCADE,
        stage TEXT NOT NULL,
        event_date TEXT,
        source TEXT,
        document_id INTEGER REFERENCES documents(id),
        url TEXT,
        evidence TEXT NOT NULL DEFAULT '{}',
        recorded_at TEXT NOT NULL,
        UNIQUE (bill_id, stage, event_date)
    )""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        source TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
        method TEXT,
        pages INTEGER NOT NULL DEFAULT 0,
        new_docs INTEGER NOT NULL DEFAULT 0,
        changed_docs INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        message TEXT
    )""",
    "CREATE INDEX runs_source ON runs(source, started_at)",
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        dedupe_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        recipients TEXT NOT NULL DEFAULT '[]',
        subject TEXT NOT NULL,
        body_text TEXT NOT NULL,
        body_html TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        sent_at TEXT
    )""",
    "CREATE INDEX outbox_status ON outbox(status, next_attempt_at)",
    # Full-text index over the documents table (external content, kept in step by triggers).
    """CREATE VIRTUAL TABLE documents_fts USING fts5(
        title, text, lemmas,
        content="documents", content_rowid="id",
        tokenize="unicode61 remove_diacritics 2"
    )""",
    # Title matches weigh more than body matches; lemmas count like the body.
    "INSERT INTO documents_fts(documents_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 1.0)')",
    """CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts(rowid, title, text, lemmas)
        VALUES (new.id, new.title, new.text, new.lemmas);
    END""",
    """CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, text, lemmas)
        VALUES ('delete', old.id, old.title, old.text, old.lemmas);
    END""",
    """CREATE TRIGGER documents_au AFTER UPDATE OF title, text, lemmas ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, text, lemmas)
        VALUES ('delete', old.id, old.title, old.text, old.lemmas);
        INSERT INTO documents_fts(rowid, title, text, lemmas)
        VALUES (new.id, new.title, new.text, new.lemmas);
    END""",
]


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    """Sources, documents and their versions, annotations, bills, runs, outbox, FTS."""
    for statement in _INITIAL:
        db.execute(statement)


_CRAWL_ARCHIVE = [
    "ALTER TABLE documents ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'",
    "ALTER TABLE documents ADD COLUMN warc_file TEXT",
    "ALTER TABLE documents ADD COLUMN warc_offset INTEGER",
    "ALTER TABLE documents ADD COLUMN payload_sha256 TEXT",
    "ALTER TABLE document_versions ADD COLUMN warc_file TEXT",
    "ALTER TABLE document_versions ADD COLUMN warc_offset INTEGER",
    "ALTER TABLE document_versions ADD COLUMN payload_sha256 TEXT",
    "CREATE INDEX documents_sha ON documents(source, sha256)",
    "ALTER TABLE runs ADD COLUMN warnings INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE http_validators (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        checked_at TEXT NOT NULL
    )""",
]


@migrations(name="0002_crawl_archive")
def crawl_archive(db: Database) -> None:
    """Evidence archive references and metadata on documents; run warnings; HTTP validators."""
    for statement in _CRAWL_ARCHIVE:
        db.execute(statement)


@migrations(name="0003_legal_refs")
def legal_refs(db: Database) -> None:
    """Legal references and bill-stage phrases found by the NLP stage, per document."""
    db.execute(
        """CREATE TABLE legal_refs (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            rules_version TEXT NOT NULL,
            seq INTEGER NOT NULL,
            label TEXT NOT NULL,
            text TEXT NOT NULL,
            field TEXT NOT NULL CHECK (field IN ('title', 'text')),
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            attrs TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (document_id, rules_version, seq)
        )"""
    )
    db.execute("CREATE INDEX legal_refs_label ON legal_refs(label)")


@migrations(name="0004_outbox_raw")
def outbox_raw(db: Database) -> None:
    """The outbox keeps each message as sent (bytes), and how it was delivered."""
    db.execute("ALTER TABLE outbox ADD COLUMN raw BLOB")
    db.execute("ALTER TABLE outbox ADD COLUMN delivered_via TEXT")


# -- issue 5 (bills, alerts) migrations: add below, in order -----------------------------

_BILLS = [
    "ALTER TABLE bills ADD COLUMN announced TEXT",
    "ALTER TABLE bills ADD COLUMN announced_at TEXT",
    "ALTER TABLE bill_events ADD COLUMN alert TEXT",
    "CREATE INDEX bill_events_bill ON bill_events(bill_id, event_date)",
    """CREATE TABLE bill_aliases (
        bill_id INTEGER NOT NULL REFERENCES bills(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (kind, value, bill_id)
    )""",
    "CREATE INDEX bill_aliases_bill ON bill_aliases(bill_id)",
    """CREATE TABLE bill_documents (
        bill_id INTEGER NOT NULL REFERENCES bills(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('source', 'news')),
        matched_by TEXT NOT NULL,
        linked_at TEXT NOT NULL,
        PRIMARY KEY (bill_id, document_id)
    )""",
    "CREATE INDEX bill_documents_document ON bill_documents(document_id)",
    """CREATE TABLE bill_news_scans (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        rules_version TEXT NOT NULL,
        aliases INTEGER NOT NULL,
        scanned_at TEXT NOT NULL
    )""",
]


@migrations(name="0005_bills")
def bills(db: Database) -> None:
    """Bill identity (aliases), the documents about each bill, what was alerted, news read."""
    for statement in _BILLS:
        db.execute(statement)


# -- issue 6 (digest) migrations: add below, in order ------------------------------------

_CLUSTERS = [
    "ALTER TABLE documents ADD COLUMN cluster_id INTEGER",
    "ALTER TABLE documents ADD COLUMN cluster_sha TEXT",
    "CREATE INDEX documents_cluster ON documents(cluster_id)",
    # What is left to cluster: a small index of the documents not clustered in their text.
    "CREATE INDEX documents_unclustered ON documents(id) WHERE cluster_sha IS NOT sha256",
    # The digest's day and 30-day counts read first_seen_at, topics, rules_version only.
    "CREATE INDEX documents_first_seen ON documents(first_seen_at, topics, rules_version)",
    """CREATE TABLE minhash_bands (
        band_key INTEGER NOT NULL,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        PRIMARY KEY (band_key, document_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX minhash_bands_document ON minhash_bands(document_id)",
]


@migrations(name="0006_clusters")
def clusters(db: Database) -> None:
    """Story clusters (near-duplicate and syndicated articles) and their MinHash LSH index."""
    for statement in _CLUSTERS:
        db.execute(statement)


# -- issue 7 (scheduler, operations) migrations: add below, in order ---------------------


@migrations(name="0007_runs_pid")
def runs_pid(db: Database) -> None:
    """Each run records the process that ran it, so a run left `running` by a process that
    died can be told from one still in progress (and closed as failed)."""
    db.execute("ALTER TABLE runs ADD COLUMN pid INTEGER")


def known_names() -> list[str]:
    """Names of every migration this version of Kuzet knows, in order."""
    return [m.name for m in migrations._migrations]


# -- search facets -----------------------------------------------------------------------

# The flagged topics as `sogi,hatecrime` and the month of dated_utc as `YYYYMM`.
_TOPIC_LIST = (
    "replace(replace(replace(replace(replace(replace(topics, ' ', ''), '[', ''), ']', ''), "
    "'\"', ''), '_', ''), ',', '{sep}')"
)
_MONTH = "substr(dated_utc, 1, 4) || substr(dated_utc, 6, 2)"
_FACETS = (
    f"'zt' || {_TOPIC_LIST.format(sep=' zt')} || "
    f"' zt' || replace({_TOPIC_LIST.format(sep=',')}, ',', {_MONTH} || ' zt') || {_MONTH} || "
    "' zl' || coalesce(lang, 'none') || ' zk' || kind || "
    f"' zy' || substr(dated_utc, 1, 4) || ' zm' || {_MONTH} || "
    f"' zd' || {_MONTH} || substr(dated_utc, 9, 2)"
)


@migrations(name="0008_search_facets")
def search_facets(db: Database) -> None:
    """Filter values (topics, language, kind, dates) as tokens in the full-text index."""
    db.execute(f"ALTER TABLE documents ADD COLUMN facets TEXT GENERATED ALWAYS AS ({_FACETS})")
    for trigger in ("documents_ai", "documents_ad", "documents_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE documents_fts")
    db.execute(
        """CREATE VIRTUAL TABLE documents_fts USING fts5(
            title, text, lemmas, facets,
            content="documents", content_rowid="id",
            tokenize="unicode61 remove_diacritics 2"
        )"""
    )
    db.execute(
        "INSERT INTO documents_fts(documents_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 1.0, 0.0)')"
    )
    db.execute(
        """CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, title, text, lemmas, facets)
            VALUES (new.id, new.title, new.text, new.lemmas, new.facets);
        END"""
    )
    db.execute(
        """CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, text, lemmas, facets)
            VALUES ('delete', old.id, old.title, old.text, old.lemmas, old.facets);
        END"""
    )
    db.execute(
        """CREATE TRIGGER documents_au AFTER UPDATE OF title, text, lemmas, topics, lang, kind,
            published_at, fetched_at ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, text, lemmas, facets)
            VALUES ('delete', old.id, old.title, old.text, old.lemmas, old.facets);
            INSERT INTO documents_fts(rowid, title, text, lemmas, facets)
            VALUES (new.id, new.title, new.text, new.lemmas, new.facets);
        END"""
    )
    db.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
