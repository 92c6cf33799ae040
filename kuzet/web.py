"""`kuzet serve`: the read-only Datasette web UI for researchers."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from kuzet.config import var_dir
from kuzet.schema_docs import TABLES

log = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "localhost", "::1")

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "flagged_last_7_days": {
        "title": "Flagged in the last 7 days",
        "description": "Documents with at least one topic, dated within the last seven days.",
        "sql": (
            "SELECT d.id, d.dated_utc, d.source, d.lang, d.kind, d.topics, d.title, d.url\n"
            "FROM documents d\n"
            "WHERE d.topics != '[]'\n"
            "  AND d.dated_utc >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days')\n"
            "ORDER BY d.dated_utc DESC"
        ),
    },
    "bills_by_stage": {
        "title": "Bills by stage",
        "description": "How many followed bills stand at each stage, and the latest move.",
        "sql": (
            "SELECT stage, count(*) AS bills, sum(tracked) AS tracked_by_hand,\n"
            "       max(stage_date) AS latest_move\n"
            "FROM bills GROUP BY stage ORDER BY bills DESC"
        ),
    },
    "documents_per_source_per_month": {
        "title": "Documents per source per month",
        "description": "Stored documents and how many of them were flagged, by source and month.",
        "sql": (
            "SELECT source, substr(dated_utc, 1, 7) AS month, count(*) AS documents,\n"
            "       sum(topics != '[]') AS flagged\n"
            "FROM documents GROUP BY source, month ORDER BY month DESC, source"
        ),
    },
}

_TABLE_OPTIONS: dict[str, dict[str, Any]] = {
    "documents": {
        "fts_table": "documents_fts",
        "fts_pk": "id",
        "label_column": "title",
        "sort_desc": "dated_utc",
        "facets": ["source", "lang", "kind", {"array": "topics"}],
    },
    "document_versions": {"sort": "document_id"},
    "bills": {"label_column": "title_ru", "facets": ["stage", "tracked"]},
    "bill_events": {"sort_desc": "recorded_at", "facets": ["stage"]},
    "runs": {"sort_desc": "started_at", "facets": ["job", "status", "source"]},
    "annotations": {"facets": ["topic", "flagged"]},
    "legal_refs": {"facets": ["label"]},
    "outbox": {"sort_desc": "created_at", "facets": ["status", "kind"]},
    "_sqlite_migrations": {"hidden": True},
}


def metadata(db_name: str) -> dict[str, Any]:
    """Datasette metadata: descriptions of every table and column, search, facets, queries."""
    tables = {
        name: {"description": about, "columns": columns, **_TABLE_OPTIONS.get(name, {})}
        for name, (about, columns) in TABLES.items()
    }
    return {
        "title": "Kuzet",
        "description": "Monitoring of LGBT people's rights in Kazakhstan: news, laws and bills, "
        "flagged on sogi, hate_crime and anti_discrimination. Read-only.",
        "databases": {db_name: {"tables": tables, "queries": CANNED_QUERIES}},
    }


def datasette_command(db_path: Path, *, host: str, port: int, metadata_path: Path) -> list[str]:
    """The Datasette command line for a read-only UI on `db_path`."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db_path),
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(metadata_path),
        "--setting",
        "allow_download",
        "off",
        "--setting",
        "sql_time_limit_ms",
        "3000",
        "--setting",
        "facet_time_limit_ms",
        "500",
    ]


def write_metadata(db_path: Path) -> Path:
    """Write the metadata for `db_path` under var/ and return where."""
    out = var_dir() / "datasette" / f"{db_path.stem}-metadata.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(metadata(db_path.stem), ensure_ascii=False, indent=2), "utf-8")
    return out


def serve(db_path: Path, *, host: str, port: int) -> None:
    """Replace this process with Datasette serving `db_path` (returns only on error)."""
    if host not in LOOPBACK:
        log.warning("serving on %s: anyone who can reach this address can read the database", host)
    meta = write_metadata(db_path)
    command = datasette_command(db_path, host=host, port=port, metadata_path=meta)
    os.execv(command[0], command)
