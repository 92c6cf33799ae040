"""Item dataclasses, one per record kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kuzet.documents import now_iso


@dataclass
class DocumentItem:
    """A document read from a source: news article, act, draft, bill page or signing notice.

    `id` is the canonical URL (set by the normalise pipeline); the warc_* fields say where
    the response it was read from is archived.
    """

    url: str
    source: str
    kind: str
    text: str
    title: str = ""
    lang: str | None = None
    published_at: str | None = None
    fetched_at: str = field(default_factory=now_iso)
    method: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    warc_file: str | None = None
    warc_offset: int | None = None
    payload_sha256: str | None = None
    id: str = ""
