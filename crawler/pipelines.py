"""Item pipelines: validate -> normalise -> skip unchanged -> store (through kuzet.store)."""

from __future__ import annotations

import json
import time
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from kuzet.config import KINDS, LANGS
from kuzet.documents import (
    NewDocument,
    canonical_url,
    clean_text,
    guess_lang,
    parse_timestamp,
    text_sha256,
)
from kuzet.store import Store


class ValidatePipeline:
    """Drops items without an absolute URL, a source, a known kind or any text."""

    def process_item(self, item: Any) -> Any:
        a = ItemAdapter(item)
        url = a.get("url") or ""
        if not url.startswith(("http://", "https://")):
            raise DropItem(f"invalid item (no absolute URL): {url!r}")
        if not a.get("source"):
            raise DropItem(f"invalid item (no source): {url}")
        if a.get("kind") not in KINDS:
            raise DropItem(f"invalid item (kind {a.get('kind')!r}): {url}")
        if not (a.get("text") or "").strip():
            raise DropItem(f"invalid item (no text extracted): {url}")
        return item


class NormalisePipeline:
    """Canonical URL without tracking parameters, clean whitespace, a language, and dates as
    ISO 8601 with an offset (Asia/Almaty when the page gave none), or none if unreadable."""

    def process_item(self, item: Any) -> Any:
        a = ItemAdapter(item)
        try:
            a["url"] = canonical_url(a["url"])
        except ValueError as exc:
            raise DropItem(f"invalid item ({exc}): {a['url']}") from exc
        a["id"] = a["url"]
        a["title"] = " ".join(clean_text(a.get("title") or "").split())
        a["text"] = clean_text(a["text"])
        if a.get("lang") not in LANGS:
            a["lang"] = guess_lang(f"{a['title']}\n{a['text']}")
        if a.get("published_at"):
            try:  # ISO 8601 with an explicit offset; Asia/Almaty when the page gave none
                a["published_at"] = parse_timestamp(str(a["published_at"]))
            except ValueError:
                a["published_at"] = None
        return item


class SkipUnchangedPipeline:
    """Drops what is already stored with the same text, and duplicates under another URL."""

    def __init__(self, db: str, stats: StatsCollector) -> None:
        self.db = db
        self.stats = stats
        self.seen_urls: set[str] = set()
        self.seen_texts: dict[tuple[str, str], str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(_db_setting(crawler), crawler.stats)

    def open_spider(self) -> None:
        self.store = Store.open(self.db)

    def close_spider(self) -> None:
        self.store.close()

    def process_item(self, item: Any) -> Any:
        a = ItemAdapter(item)
        url, sha = a["url"], text_sha256(a["text"])
        if url in self.seen_urls:
            self._drop("duplicates", f"duplicate (URL already crawled in this run): {url}")
        key = (a["source"], sha)
        if key in self.seen_texts:
            self._drop("duplicates", f"duplicate (same text as {self.seen_texts[key]}): {url}")
        self.seen_urls.add(url)
        self.seen_texts[key] = url
        if self.store.stored_sha(url) == sha and self._same_meta(url, a.get("meta") or {}):
            self._drop("unchanged", f"unchanged (same URL and content hash): {url}")
        if other := self.store.same_text_url(a["source"], sha, url):
            self._drop("duplicates", f"duplicate (same text stored as {other}): {url}")
        return item

    def _same_meta(self, url: str, meta: dict[str, Any]) -> bool:
        """True unless the source's facts changed (a bill's table row moved to a new stage
        while its page reads the same): those go on to the store, which updates them."""
        return not meta or self.store.stored_meta(url) == json.dumps(meta, ensure_ascii=False)

    def _drop(self, stat: str, message: str) -> None:
        self.stats.inc_value(f"kuzet/{stat}")
        raise DropItem(message, log_level="DEBUG" if stat == "unchanged" else "INFO")


class StorePipeline:
    """Stores documents through kuzet.store in batches; a changed text becomes a new version."""

    BATCH = 100
    MAX_WAIT_S = 2.0

    def __init__(self, db: str, stats: StatsCollector) -> None:
        self.db = db
        self.stats = stats
        self.pending: list[NewDocument] = []
        self.last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(_db_setting(crawler), crawler.stats)

    def open_spider(self) -> None:
        self.store = Store.open(self.db)

    def process_item(self, item: Any) -> Any:
        a = ItemAdapter(item)
        self.pending.append(
            NewDocument(
                **{k: a.get(k) for k in ("url", "text", "source", "kind", "title", "lang")},
                **{k: a.get(k) for k in ("published_at", "fetched_at", "meta")},
                **{k: a.get(k) for k in ("warc_file", "warc_offset", "payload_sha256")},
            )
        )
        if len(self.pending) >= self.BATCH or time.monotonic() - self.last_flush > self.MAX_WAIT_S:
            self.flush()
        return item

    def flush(self) -> None:
        """Write the pending documents in one transaction and count the outcome."""
        if self.pending:
            counts = self.store.upsert_documents(self.pending)
            self.stats.inc_value("kuzet/new", counts.new)
            self.stats.inc_value("kuzet/changed", counts.changed)
            self.stats.inc_value("kuzet/unchanged", counts.unchanged)
        self.pending = []
        self.last_flush = time.monotonic()

    def close_spider(self) -> None:
        try:
            self.flush()
        finally:
            self.store.close()


def _db_setting(crawler: Crawler) -> str:
    db = crawler.settings.get("KUZET_DB")
    if not db:
        raise NotConfigured("KUZET_DB is not set")
    return str(db)
