"""What the crawler needs beyond storing documents: hashes, HTTP validators, archive refs, runs."""

from __future__ import annotations

from typing import Any

from kuzet.documents import now_iso
from kuzet.errors import NotFoundError


class CrawlMixin:
    """Crawl bookkeeping (mixed into Store)."""

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a feed's ETag / Last-Modified for the next conditional request."""
        with self._writing():
            self.db.execute(
                "INSERT OR REPLACE INTO http_validators (url, etag, last_modified, checked_at) "
                "VALUES (?, ?, ?, ?)",
                [url, etag, last_modified, now_iso()],
            )

    def stored_sha(self, url: str) -> str | None:
        """SHA-256 of the current text stored at `url`, if any."""
        row = self.db.execute("SELECT sha256 FROM documents WHERE url = ?", [url]).fetchone()
        return row[0] if row else None

    def stored_meta(self, url: str) -> str | None:
        """The metadata (JSON text) stored with the current version at `url`, if any."""
        row = self.db.execute("SELECT meta FROM documents WHERE url = ?", [url]).fetchone()
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
        """Where a document's (current, or `ID@VERSION`) response is archived.

        `ref` is an id or a URL, optionally followed by `@` and a version number; a URL that
        itself holds `@` (`https://x.kz/@user/1`) is read as a whole unless digits end it.
        """
        doc_ref, version = split_version(ref)
        doc = self.get_document(doc_ref)
        row: dict[str, Any] | None = {**doc}
        current = version is None or version == doc["version"]
        if not current:
            row = self._one(
                "SELECT version, warc_file, warc_offset, payload_sha256, fetched_at "
                "FROM document_versions WHERE document_id = ? AND version = ?",
                [doc["id"], version],
            )
        if row is None:
            raise NotFoundError(f"document {doc_ref} has no version {version}")
        extra = self._one(
            "SELECT warc_file, warc_offset, payload_sha256 FROM documents WHERE id = ?",
            [doc["id"]],
        )
        if current:
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

    def recent_runs(self, job: str = "crawl", per_source: int = 10) -> dict[str, list[dict]]:
        """The latest `per_source` finished runs of `job` for each source, newest first."""
        rows = self._rows(
            "SELECT * FROM (SELECT r.*, row_number() OVER (PARTITION BY source ORDER BY id DESC) "
            "AS nth FROM runs r WHERE job = ? AND status != 'running') WHERE nth <= ? "
            "ORDER BY source, id DESC",
            [job, per_source],
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            row.pop("nth")
            out.setdefault(row["source"], []).append(row)
        return out

    def documents_per_source(self, since_utc: str) -> dict[str, int]:
        """How many documents each source brought in (first stored) since `since_utc`.

        By when Kuzet stored them, not by their publication date: a source that answers with
        last month's articles is alive; the index on first_seen_at keeps this a range scan.
        """
        since = since_utc.replace("Z", "+00:00")
        rows = self.db.execute(
            "SELECT source, count(*) FROM documents INDEXED BY documents_first_seen "
            "WHERE first_seen_at >= ? GROUP BY source",
            [since],
        )
        return {source: int(n) for source, n in rows}


def split_version(ref: str) -> tuple[str, int | None]:
    """`42@2` -> ('42', 2); `42`, or a URL without a trailing `@N`, -> (ref, None).

    Raises NotFoundError for an id followed by `@` and something that is not a number.
    """
    head, at, tail = ref.rpartition("@")
    if at and tail.isascii() and tail.isdigit() and head:
        return head, int(tail)
    if at and head.isdigit():
        raise NotFoundError(f"bad version {tail!r} in {ref!r}: expected ID@NUMBER, e.g. 42@1")
    return ref, None
