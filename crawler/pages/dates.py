"""Dates as Kazakh sites write them, in Russian, Kazakh and English, made explicit in time zone."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from kuzet.config import TIMEZONE
from nlp.dates import month_number

ALMATY = ZoneInfo(TIMEZONE)
_TIME = r"(?:\D{0,8}?(\d{1,2}):(\d{2}))?"
_NUMERIC = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})" + _TIME)
_WORDS = re.compile(r"(\d{1,2})\s+([^\W\d_]+)\.?,?\s+(\d{4})" + _TIME)
_KK_YEAR_FIRST = re.compile(r"(\d{4})\s+(?:жылғы\s+|ж\.\s*)?(\d{1,2})\s+([^\W\d_]+)" + _TIME)
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def parse_date(text: str | None) -> str | None:
    """ISO 8601 with offset for the first date found in `text`, or None.

    Understands ISO 8601, RFC 822 (feeds), `12.11.2025`, `12/11/2025`, `30 декабря 2025 года`,
    `30 желтоқсан 2025`, `2025 жылғы 30 желтоқсан`, `30 December 2025`, each with an optional
    `HH:MM`. A date without an offset is Asia/Almaty time.
    """
    if not text or not text.strip():
        return None
    text = " ".join(text.split())
    for parse in (_iso, _rfc822, _numeric, _words, _kazakh_year_first):
        moment = parse(text)
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ALMATY)
            return moment.isoformat()
    return None


def _iso(text: str) -> datetime | None:
    m = _ISO.search(text)
    if not m:
        return None
    try:
        return datetime.fromisoformat(m.group(0).replace("Z", "+00:00"))
    except ValueError:
        return None


def _rfc822(text: str) -> datetime | None:
    if not re.match(r"^(?:\w{3},\s*)?\d{1,2} \w{3} \d{4} \d{2}:\d{2}", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def _build(
    year: str, month: int | None, day: str, hh: str | None, mm: str | None
) -> datetime | None:
    if month is None:
        return None
    try:
        return datetime(int(year), month, int(day), int(hh or 0), int(mm or 0))
    except ValueError:
        return None


def _numeric(text: str) -> datetime | None:
    m = _NUMERIC.search(text)
    return _build(m[3], int(m[2]), m[1], m[4], m[5]) if m else None


def _words(text: str) -> datetime | None:
    for m in _WORDS.finditer(text):
        moment = _build(m[3], month_number(m[2]), m[1], m[4], m[5])
        if moment:
            return moment
    return None


def _kazakh_year_first(text: str) -> datetime | None:
    m = _KK_YEAR_FIRST.search(text)
    return _build(m[1], month_number(m[3]), m[2], m[4], m[5]) if m else None
