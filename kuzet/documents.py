"""Incoming documents: the record every source hands to the store, and its normalisation."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from kuzet.config import KINDS, LANGS, TIMEZONE

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|_openstat|mc_cid|mc_eid)$")
_KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class NewDocument:
    """One document as a source delivers it, ready for `Store.upsert_documents`."""

    url: str
    text: str
    source: str
    kind: str = "news"
    title: str = ""
    lang: str | None = None
    published_at: str | None = None
    fetched_at: str = field(default_factory=lambda: now_iso())
    sha256: str = ""
    #: Extra facts the source gave (act type, status, drafting body...), stored as JSON.
    meta: dict[str, object] = field(default_factory=dict)
    #: Where the fetched response is archived: WARC file, record offset, payload SHA-256.
    warc_file: str | None = None
    warc_offset: int | None = None
    payload_sha256: str | None = None

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or text_sha256(self.text)


def now_iso() -> str:
    """The current time as ISO 8601 in UTC with an explicit offset."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def text_sha256(text: str) -> str:
    """Hex SHA-256 of a document's text, encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters.

    Raises ValueError for anything that is not an absolute http(s) URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower()
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def clean_text(text: str) -> str:
    """NFC-normalise, drop control characters and lone surrogates, trim each line's edges."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text))
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def guess_lang(text: str) -> str:
    """A cheap guess by script: Kazakh-only letters mean kk, other Cyrillic ru, else en."""
    sample = text[:5000]
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if cyrillic > latin:
        kazakh = sum(1 for ch in sample if ch in _KAZAKH_LETTERS)
        return "kk" if kazakh * 100 >= cyrillic else "ru"
    return "en"


def parse_timestamp(value: str, *, end_of_day: bool = False) -> str:
    """Parse an ISO 8601 date or date-time; return it as ISO 8601 with an explicit offset.

    A value without an offset is read as Asia/Almaty local time; a bare date means the
    start of that day (or its last second with `end_of_day`). Raises ValueError.
    """
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        moment = datetime(day.year, day.month, day.day, *((23, 59, 59) if end_of_day else ()))
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(TIMEZONE))
    return moment.isoformat()


def local_date(value: str | None) -> date | None:
    """The Asia/Almaty calendar date of an ISO 8601 date or timestamp (a value without an
    offset is local time already); None for an empty or unreadable value."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(TIMEZONE)).date()


def check_choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    """Return `value` if it is one of `allowed`, else raise ValueError naming the choices."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r} (expected one of: {', '.join(allowed)})")
    return value


def check_lang(value: str) -> str:
    """Validate a language code."""
    return check_choice(value, LANGS, "language")


def check_kind(value: str) -> str:
    """Validate a document kind."""
    return check_choice(value, KINDS, "kind")
