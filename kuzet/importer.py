"""`kuzet import`: load documents a researcher already has from a JSON Lines file."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kuzet.documents import (
    NewDocument,
    canonical_url,
    check_kind,
    check_lang,
    clean_text,
    guess_lang,
    parse_timestamp,
)
from kuzet.errors import ImportLineError, KuzetError
from kuzet.store import Store, UpsertCounts

log = logging.getLogger(__name__)
BATCH = 500
#: What an imported document's `source` may be (see `check_source_id`).
SOURCE_ID = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?")


@dataclass
class ImportReport:
    """What an import did: counts, and one message per bad line."""

    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: list[str] = field(default_factory=list)


def parse_record(record: Any, *, default_source: str | None = None) -> NewDocument:
    """Turn one decoded JSON value into a NewDocument, or raise ImportLineError."""
    if not isinstance(record, dict):
        raise ImportLineError(f"expected a JSON object, got {type(record).__name__}")
    for key in ("url", "text"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ImportLineError(f"missing or empty {key!r}")
    for key in ("title", "lang", "published_at", "source", "kind"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise ImportLineError(f"{key!r} must be a string")
    url = _field("url", canonical_url, record["url"])
    text = clean_text(record["text"])
    if not text:
        raise ImportLineError("'text' holds no readable characters")
    lang = _field("lang", check_lang, record["lang"]) if record.get("lang") else guess_lang(text)
    kind = _field("kind", check_kind, record.get("kind") or "news")
    published = (
        _field("published_at", _timestamp, record["published_at"])
        if record.get("published_at")
        else None
    )
    source = (
        _field("source", check_source_id, record["source"])
        if record.get("source")
        else default_source or _host_slug(url)
    )
    return NewDocument(
        url=url,
        text=text,
        title=clean_text(record.get("title") or ""),
        lang=lang,
        published_at=published,
        source=source,
        kind=kind,
    )


def _field(name: str, check: Callable[[str], str], value: str) -> str:
    """`check(value)`, with a ValueError turned into a line error naming the field."""
    try:
        return check(value)
    except ValueError as exc:
        raise ImportLineError(f"{name!r}: {exc}") from exc


def _timestamp(value: str) -> str:
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 date or date-time ({exc})") from exc


def check_source_id(value: str) -> str:
    """A source id as imports may give it: lower-case ASCII letters, digits, '.', '_', '-'
    (a sources.toml id such as `vlast`, or a host name such as `vlast.kz`)."""
    if not SOURCE_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a source id (lower-case letters a-z, digits, '.', '_' and '-', "
            "up to 100 characters, e.g. 'vlast' or 'vlast.kz')"
        )
    return value


def _host_slug(url: str) -> str:
    host = (urlsplit(url).hostname or "import").removeprefix("www.")
    try:
        host = host.encode("idna").decode("ascii")  # пример.kz -> xn--e1afmkfd.kz
    except UnicodeError:
        return "import"
    return host if SOURCE_ID.fullmatch(host) else "import"


def read_jsonl(
    path: Path,
    report: ImportReport,
    *,
    default_source: str | None = None,
) -> Iterator[NewDocument]:
    """Yield the good records of a JSON Lines file; note each bad line in `report`."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                yield parse_record(json.loads(line), default_source=default_source)
            except UnicodeDecodeError as exc:
                report.errors.append(f"{path}:{number}: not UTF-8 (byte {exc.start})")
            except json.JSONDecodeError as exc:
                report.errors.append(
                    f"{path}:{number}: not valid JSON ({exc.msg}, column {exc.colno})"
                )
            except ImportLineError as exc:
                report.errors.append(f"{path}:{number}: {exc}")


def import_file(store: Store, path: Path, *, default_source: str | None = None) -> ImportReport:
    """Load every good line of `path` into the store, in batches; record the run."""
    if not path.is_file():
        raise KuzetError(f"cannot read {path}: no such file")
    if default_source is not None:
        try:
            check_source_id(default_source)
        except ValueError as exc:
            raise KuzetError(f"--source: {exc}") from exc
    report = ImportReport()
    run_id = store.start_run("import", default_source)
    batch: list[NewDocument] = []
    try:
        for doc in read_jsonl(path, report, default_source=default_source):
            batch.append(doc)
            if len(batch) >= BATCH:
                _flush(store, batch, report)
        _flush(store, batch, report)
    except BaseException as exc:
        store.finish_run(
            run_id,
            "failed",
            message=f"{path}: {exc}"[:500],
            new_docs=report.counts.new,
            changed_docs=report.counts.changed,
            errors=len(report.errors) + 1,
        )
        raise
    status = "partial" if report.errors else "ok"
    store.finish_run(
        run_id,
        status,
        message=str(path),
        pages=report.counts.total,
        new_docs=report.counts.new,
        changed_docs=report.counts.changed,
        errors=len(report.errors),
        method="import",
    )
    return report


def _flush(store: Store, batch: list[NewDocument], report: ImportReport) -> None:
    if batch:
        counts = store.upsert_documents(batch)
        report.counts.new += counts.new
        report.counts.changed += counts.changed
        report.counts.unchanged += counts.unchanged
        batch.clear()
