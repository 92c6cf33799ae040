"""Reading documents back: full-text search with filters, and one document with its records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kuzet.errors import NotFoundError, SearchSyntaxError, StoreError
from kuzet.store.base import _describe
from kuzet.store.facets import facet_match

#: Markers around highlighted words in snippets; formatters replace them.
HL_START, HL_END = "\x02", "\x03"
_DOC_COLUMNS = (
    "id, url, source, kind, lang, title, published_at, fetched_at, dated_utc, "
    "sha256, version, topics, rules_version"
)
#: The ranking, spelled out rather than read from the `rank` column: SQLite evaluates `rank`
#: anew for ORDER BY and for the result column, and each evaluation counts every phrase's
#: documents again. The weights are those of the table's rank setting (migration 0008):
#: title 4, text 1, lemmas 1, facets 0.
BM25 = "bm25(documents_fts, 4.0, 1.0, 1.0, 0.0)"
_FTS_ERRORS = ("fts5:", "no such column", "unknown special query", "unterminated string")


@dataclass
class SearchFilters:
    """Validated filters for `Store.search`; timestamps are UTC `YYYY-MM-DDTHH:MM:SSZ`."""

    topic: str | None = None
    lang: str | None = None
    source: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None


class QueriesMixin:
    """Search and look-up of documents (mixed into Store)."""

    def search(
        self,
        match: str | None,
        filters: SearchFilters,
        *,
        sort: str = "rank",
        limit: int | None = 20,
        offset: int = 0,
        with_text: bool = False,
        fold: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Documents matching an FTS5 `match` expression (or all, if None) and the filters.

        Rows carry `snippet` and `title_hl` with HL_START/HL_END around matched words, and
        `score` (bm25, lower is better) when there is a match expression. With `fold`, one
        row per story cluster (its best hit), with `cluster_id`, `folded` (other hits of the
        same story) and `also_sources` (comma-separated sources of the story's other
        documents). Raises SearchSyntaxError for a malformed expression.
        """
        shown = None
        if match is not None:
            match, shown = self._with_facets(match, filters), facet_match(match)
        sql, params = _search_sql(
            match,
            filters,
            sort=sort,
            limit=limit,
            offset=offset,
            with_text=with_text,
            staged=not fold,
            shown=shown,
        )
        if fold:
            sql = _folded(sql, ranked=bool(match) and sort == "rank")
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

    def _with_facets(self, match: str, f: SearchFilters) -> str:
        """The match expression restricted by the filters' facet terms (see store.facets)."""
        first, last = f.since, f.until
        if (first or last) and not (first and last):
            low, high = self.db.execute(
                "SELECT min(dated_utc), max(dated_utc) FROM documents"
            ).fetchone()
            first, last = first or low, last or high
        return facet_match(
            match,
            topic=f.topic,
            lang=f.lang,
            kind=f.kind,
            first=date.fromisoformat(first[:10]) if first else None,
            last=date.fromisoformat(last[:10]) if last else None,
        )

    def document_text(self, doc_id: int) -> str:
        """The current text of document `doc_id` ('' if there is none)."""
        row = self.db.execute("SELECT text FROM documents WHERE id = ?", [doc_id]).fetchone()
        return row[0] if row else ""

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


def _folded(sql: str, *, ranked: bool) -> str:
    """Wrap a search statement so that each story cluster yields only its first row."""
    inner, _, tail = sql.rpartition(" ORDER BY ")
    limits = tail[tail.index(" LIMIT ") :]
    order = "score, id" if ranked else "dated_utc DESC, id DESC"
    inner = inner.replace(" FROM ", ", coalesce(d.cluster_id, d.id) AS cluster_id FROM ", 1)
    return (
        "SELECT f.*, (SELECT group_concat(DISTINCT m.source) FROM documents m "
        "WHERE m.cluster_id = f.cluster_id AND m.id != f.id AND m.source != f.source) "
        f"AS also_sources FROM (SELECT x.*, row_number() OVER (PARTITION BY cluster_id "
        f"ORDER BY {order}) AS fold_rank, count(*) OVER (PARTITION BY cluster_id) - 1 "
        f"AS folded FROM ({inner}) x) f WHERE fold_rank = 1 ORDER BY {order}{limits}"
    )


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
    staged: bool = True,
    shown: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The search statement. A full-text search with a limit is `staged`: an inner query
    picks the page of matches (ids, scores and dates only), and the outer one reads those
    rows and makes their snippets, matching each row again (by rowid) with `shown`, the
    expression without the filters' facet terms (they match only the facets column, which
    is neither shown nor highlighted). In one stage, SQLite would compute every match's
    snippet, highlight and columns before sorting: a query matching 100,000 documents would
    make 100,000 snippets for 20 rows."""
    cols = [f"d.{c.strip()}" for c in _DOC_COLUMNS.split(",")]
    if with_text:
        cols.append("d.text")
    where: list[str] = []
    params: dict[str, Any] = {"limit": -1 if limit is None else limit, "offset": offset}
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
    page = " LIMIT :limit OFFSET :offset"
    if not match:
        cols += ["substr(d.text, 1, 240) AS snippet", "d.title AS title_hl", "NULL AS score"]
        return _select(cols, "documents d", where, "d.dated_utc DESC, d.id DESC") + page, params
    params["match"] = match
    fts = "documents_fts JOIN documents d ON d.id = documents_fts.rowid"
    marked = [
        f"snippet(documents_fts, 1, '{HL_START}', '{HL_END}', '…', 24) AS snippet",
        f"highlight(documents_fts, 0, '{HL_START}', '{HL_END}') AS title_hl",
    ]
    order = "score" if sort == "rank" else "d.dated_utc DESC, d.id DESC"
    if not staged or limit is None:
        cols += [*marked, f"{BM25} AS score"]
        return _select(cols, fts, ["documents_fts MATCH :match", *where], order) + page, params
    by_date = sort != "rank"
    picked = _select(
        ["documents_fts.rowid AS id", f"{BM25} AS score"]
        + (["d.dated_utc AS dated_utc"] if by_date else []),
        fts if where or by_date else "documents_fts",
        ["documents_fts MATCH :match", *where],
        "dated_utc DESC, id DESC" if by_date else "score, id",
    )
    outer_order = "p.dated_utc DESC, p.id DESC" if by_date else "p.score, p.id"
    return (
        _select(
            [*cols, *marked, "p.score AS score"],
            # CROSS JOIN keeps this order: the page's rows first, then each one's FTS row
            # (looked up by rowid) and document.
            f"({picked}{page}) p CROSS JOIN documents_fts ON documents_fts.rowid = p.id "
            "CROSS JOIN documents d ON d.id = p.id",
            ["documents_fts MATCH :shown"],
            outer_order,
        ),
        {**params, "shown": shown or match},
    )


def _select(cols: list[str], source: str, where: list[str], order: str) -> str:
    return (
        f"SELECT {', '.join(cols)} FROM {source}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {order}"
    )
