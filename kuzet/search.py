"""Full-text search for researchers: query checking, filters, and output formats."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from kuzet.config import KINDS, LANGS, TOPICS
from kuzet.documents import check_choice, parse_timestamp
from kuzet.errors import FilterError, OutputError, SearchSyntaxError
from kuzet.snippets import query_phrases, with_word_form_snippets
from kuzet.store import HL_END, HL_START, SearchFilters, Store

FTS_COLUMNS = ("title", "text", "lemmas")
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
# A quoted string (with "" as an escaped quote), a bracket, or a run of other characters.
_TOKEN = re.compile(r'"(?:[^"]|"")*"|[()]|[^\s()"]+')
# What FTS5 accepts in a bareword: letters, digits, underscore, and any non-ASCII character.
_BAREWORD = re.compile(r"[\w\u0080-\U0010ffff]+\*?")
_WORDS = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KK_LETTERS = set("әғқңөұүһі")
_COLUMN_FILTER = re.compile(rf"^({'|'.join(FTS_COLUMNS)}):(.*)$")
#: What makes a spreadsheet read a CSV cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPORT_FIELDS = (
    "id",
    "url",
    "source",
    "kind",
    "lang",
    "title",
    "published_at",
    "fetched_at",
    "version",
    "sha256",
    "topics",
    "text",
)
RESULT_FIELDS = (
    "id",
    "url",
    "source",
    "kind",
    "lang",
    "title",
    "published_at",
    "topics",
    "score",
    "snippet",
)

#: Extra fields of a folded search (`--fold`).
FOLD_FIELDS = ("cluster_id", "folded", "also_sources")


def prepare_query(
    query: str | None, lemmatize: Callable[[str], set[str]] | None = None
) -> str | None:
    """Check a user's FTS5 query and make hyphenated or punctuated words into phrases.

    `ЛГБТ-пропаганда` becomes `"ЛГБТ-пропаганда"` (a phrase of two words), which FTS5 would
    otherwise reject. Quotes must balance. Other syntax errors are left to FTS5 to report.
    With `lemmatize` (word or phrase -> normalised forms), each plain word and phrase also
    matches the `lemmas` column, so `гей` finds `геев` (not inside NEAR(), which takes only
    phrases).
    """
    if query is None or not query.strip():
        return None
    if query.count('"') % 2:
        where = query.rfind('"') + 1
        raise SearchSyntaxError(f"malformed search query: unbalanced quote at character {where}")
    parts: list[str] = []
    near_depth = 0
    for token in _TOKEN.findall(query):
        if near_depth:
            near_depth += {"(": 1, ")": -1}.get(token, 0)
        elif token == "(" and parts and parts[-1] == "NEAR":
            near_depth = 1
        if near_depth and "," in token and not token.startswith('"'):
            # NEAR(a b, 10): the comma and the distance are FTS5 syntax, not a phrase `"b,"`
            pieces = [p for p in re.split(r"(,)", token) if p]
            parts += [p if p == "," else _prepare_token(p, None) for p in pieces]
            continue
        parts.append(_prepare_token(token, None if near_depth else lemmatize))
    return " ".join(parts)


def _prepare_token(token: str, lemmatize: Callable[[str], set[str]] | None) -> str:
    column = ""
    if m := _COLUMN_FILTER.match(token):
        column, token = m.group(1) + ":", m.group(2)
        if not token:
            return column
        lemmatize = None
    if token in "()" or token in _OPERATORS or token.startswith("^") or token == "*":
        return column + token
    if token.startswith("-") and len(token) > 1:
        raise SearchSyntaxError(
            f"malformed search query: {token!r}: to exclude a word write 'NOT {token[1:]}'"
        )
    bare = _BAREWORD.fullmatch(token) is not None
    if token.startswith('"'):
        phrase, star = token[1:-1].replace('""', '"'), False
    elif bare and (token.endswith("*") or not lemmatize):
        return column + token  # a plain word or prefix stays as the user wrote it
    else:
        phrase, star = token.rstrip("*"), token.endswith("*")
    quoted = column + _quote(phrase) + (" *" if star else "")
    forms = sorted(lemmatize(phrase)) if lemmatize and not star else []
    if not forms:
        return quoted
    return "(" + " OR ".join([quoted, *(f"lemmas:{_quote(f)}" for f in forms)]) + ")"


def _quote(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'


def query_lemmas(phrase: str) -> set[str]:
    """Normalised forms of a query word or phrase, as the NLP stage writes them to `lemmas`.

    Kazakh letters mean Kazakh; other Cyrillic could be Russian or Kazakh (both are tried);
    Latin means English.
    """
    from nlp.pipeline import normalize_word

    words = _WORDS.findall(phrase)
    if not words:
        return set()
    if any(_KK_LETTERS.intersection(w.lower()) for w in words):
        langs = ["kk"]
    elif any(_CYRILLIC.search(w) for w in words):
        langs = ["ru", "kk"]
    else:
        langs = ["en"]
    return {" ".join(normalize_word(w, lang) for w in words) for lang in langs}


def make_filters(
    store: Store,
    *,
    topic: str | None = None,
    lang: str | None = None,
    source: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> SearchFilters:
    """Validate filter values against what the pipeline knows; raise FilterError if unknown."""
    try:
        if topic:
            check_choice(topic, TOPICS, "topic")
        if lang:
            check_choice(lang, LANGS, "language")
        if kind:
            check_choice(kind, KINDS, "kind")
        if source:
            check_choice(source, tuple(store.source_ids()) or ("(none yet)",), "source")
    except ValueError as exc:
        raise FilterError(str(exc)) from exc
    lower, upper = _utc(since, "--since"), _utc(until, "--until", end_of_day=True)
    if lower and upper and lower > upper:
        raise FilterError(f"--since {since} is after --until {until}")
    return SearchFilters(topic=topic, lang=lang, source=source, kind=kind, since=lower, until=upper)


def find(
    store: Store,
    query: str | None,
    *,
    sort: str = "rank",
    limit: int | None = 20,
    with_text: bool = False,
    lemmas: bool = True,
    fold: bool = False,
    **filters: str | None,
) -> Iterator[dict[str, Any]]:
    """Check the query and filters, then run the search; raises before yielding anything.

    With `lemmas`, query words also match the normalised forms the NLP stage stored, and a hit
    found only by a word form gets a snippet around that word, marked. With `fold`,
    near-identical articles (one story, see kuzet.clusters) yield one hit.
    """
    match = prepare_query(query, query_lemmas if lemmas else None)
    rows = store.search(
        match,
        make_filters(store, **filters),
        sort=sort,
        limit=limit,
        with_text=with_text,
        fold=fold,
    )
    if not match or not lemmas:
        return rows
    return with_word_form_snippets(
        rows, lambda: _query_forms(query or ""), store.document_text, _normalize_word
    )


def _query_forms(query: str) -> set[str]:
    """Normal forms of the query's plain words and phrases (for marking word-form matches)."""
    return {form for p in query_phrases(_TOKEN.findall(query)) for form in query_lemmas(p)}


@functools.lru_cache(maxsize=100_000)
def _normalize_word(word: str, lang: str) -> str:
    from nlp.pipeline import normalize_word

    return normalize_word(word, lang)


def _utc(value: str | None, option: str, *, end_of_day: bool = False) -> str | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(parse_timestamp(value, end_of_day=end_of_day))
    except ValueError as exc:
        raise FilterError(
            f"{option} {value!r} is not a date (expected YYYY-MM-DD or an ISO 8601 date-time)"
        ) from exc
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mark(text: str | None, start: str, end: str) -> str:
    """Replace the store's highlight markers with `start`/`end`."""
    return (text or "").replace(HL_START, start).replace(HL_END, end)


def result_record(row: dict[str, Any]) -> dict[str, Any]:
    """A search hit as plain values, matched words in the snippet wrapped in `**`."""
    record = {k: row.get(k) for k in RESULT_FIELDS}
    record["topics"] = json.loads(row.get("topics") or "[]")
    record["snippet"] = " ".join(mark(row.get("snippet"), "**", "**").split())
    if record["score"] is not None:
        record["score"] = round(-record["score"], 3)
    if "folded" in row:  # a folded search: the story's other documents
        record["cluster_id"] = row["cluster_id"]
        record["folded"] = row["folded"]
        record["also_sources"] = sorted(set((row.get("also_sources") or "").split(",")) - {""})
    return record


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write search hits as one JSON array; returns how many."""
    records = [result_record(r) for r in rows]
    json.dump(records, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(records)


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO, fields: tuple[str, ...]) -> int:
    """Write rows as CSV with a header line; list values are joined with ';'.

    A text cell that a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`,
    tab or carriage return) gets a leading `'`, so opening an export runs nothing.
    """
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    n = 0
    for n, row in enumerate(rows, 1):  # noqa: B007 - n is the count afterwards
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return n


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export_rows(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Full records for export: every field, topics as a list."""
    for row in rows:
        record = {k: row.get(k) for k in EXPORT_FIELDS}
        record["topics"] = json.loads(row.get("topics") or "[]")
        yield record


def export(
    rows: Iterable[dict[str, Any]], out_path: Path, fmt: str, *, database: Path | None = None
) -> int:
    """Write every row to `out_path` (csv or jsonl); returns how many rows.

    A regular file appears only when complete (written beside it, then renamed over it, keeping
    an existing file's permissions): a failure leaves no half-written export behind. A FIFO or
    device (`/dev/stdout`) is written directly. The database (`database` and its -wal, -shm and
    -journal files) and the WARC archive are refused, so an export can never overwrite them.
    """
    target = _export_target(out_path, database)
    if _write_in_place(out_path, target):
        return _export_direct(rows, out_path, fmt)
    directory = target.parent
    if not directory.is_dir():
        raise OutputError(f"cannot write {out_path}: directory {directory} does not exist")
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {out_path}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            n = _write_export(rows, fh, fmt)
        Path(tmp).replace(target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _export_target(out_path: Path, database: Path | None) -> Path:
    """The file `out_path` really names (symlinks followed); OutputError if it is protected."""
    if out_path.is_dir():
        raise OutputError(f"cannot write {out_path}: it is a directory")
    target = out_path.resolve()
    if database is not None:
        db = database.resolve()
        protected = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
        if target in protected or any(_same_file(out_path, p) for p in protected):
            raise OutputError(f"refusing to write the export over the database: {out_path}")
    from kuzet.archive import archive_dir

    if target.is_relative_to(archive_dir().resolve()):
        raise OutputError(f"refusing to write the export into the evidence archive: {out_path}")
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _write_in_place(out_path: Path, target: Path) -> bool:
    """FIFOs, devices and /dev/stdout-like links to open files are written as they are:
    renaming a new file over them would replace them (or miss the open file entirely)."""
    if not out_path.exists():
        return False
    special = (str(out_path), str(target))
    return not out_path.is_file() or any(p.startswith(("/dev/", "/proc/")) for p in special)


def _export_direct(rows: Iterable[dict[str, Any]], out_path: Path, fmt: str) -> int:
    """Write through `out_path` as it is (a FIFO, a device, /dev/stdout). Appending: a file
    behind /dev/stdout opened with `>>` keeps what it held."""
    try:
        with out_path.open("a", encoding="utf-8", newline="") as fh:
            return _write_export(rows, fh, fmt)
    except OSError as exc:
        raise OutputError(f"cannot write {out_path}: {exc.strerror or exc}") from exc


def _write_export(rows: Iterable[dict[str, Any]], fh: TextIO, fmt: str) -> int:
    if fmt == "csv":
        return write_csv(export_rows(rows), fh, EXPORT_FIELDS)
    n = 0
    for n, record in enumerate(export_rows(rows), 1):  # noqa: B007 - n is the count afterwards
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return n


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def csv_text(rows: Iterable[dict[str, Any]], *, fold: bool = False) -> str:
    """Search hits as CSV text (for stdout); folded hits add the cluster columns."""
    buf = io.StringIO()
    fields = RESULT_FIELDS + (FOLD_FIELDS if fold else ())
    write_csv((result_record(r) for r in rows), buf, fields)
    return buf.getvalue()
