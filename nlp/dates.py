"""Full dates (day, month, year) in Russian, Kazakh and English text.

Recognised forms: «30 декабря 2025 года», «30 декабря 2025 г.», «30.12.2025», «30/12/2025»,
«2025-12-30», «2025 жылғы 30 желтоқсанда», «30 желтоқсан 2025», «December 30, 2025»,
«30 December 2025». A day and month without a year is not a date here.

Month names are data (`data/lexicons/months.txt`, read by `load_months`); `DateFinder` compiles
a month table, and `parse_date` / `find_dates` use the default table unless given a finder.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

MONTHS_PATH = Path(__file__).resolve().parent.parent / "data" / "lexicons" / "months.txt"

_YEAR_WORDS = r"(?:\s*(?:года|год|г\.|жылы|жылғы|ж\.))?"


def load_months(path: Path = MONTHS_PATH) -> dict[str, int]:
    """Read a month table: `<form> <month>` a line; a form ending in `*` is a stem.

    Raises `ValueError` naming the file and line on a malformed or conflicting line.
    """
    months: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= 12:
            raise ValueError(f"{path}:{number}: expected '<form> <month 1-12>', got {raw!r}")
        form, month = parts[0].lower(), int(parts[1])
        if months.get(form, month) != month:
            raise ValueError(f"{path}:{number}: {form!r} is already month {months[form]}")
        months[form] = month
    return months


class DateFinder:
    """Finds full dates in text with one compiled month table."""

    def __init__(self, months: dict[str, int] | None = None) -> None:
        months = months or {}
        self.words = {f: m for f, m in months.items() if not f.endswith("*")}
        self.stems = {f[:-1]: m for f, m in months.items() if f.endswith("*")}
        self.regexes = [re.compile(r"(?<!\d)(?P<d>\d{1,2})[./](?P<mo>\d{1,2})[./](?P<y>\d{4})\b")]
        self.regexes.append(re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?!\d)"))
        month = self._month_regex()
        if month:
            self.regexes += [
                re.compile(rf"(?<!\d)(?P<y>\d{{4}})\s*(?:жылғы|ж\.)\s+(?P<d>\d{{1,2}})\s+{month}"),
                re.compile(
                    rf"(?<![\d.])(?P<d>\d{{1,2}})\s+{month}\s+(?P<y>\d{{4}})\b{_YEAR_WORDS}"
                ),
                re.compile(rf"{month}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"),
            ]
        self.regexes = [re.compile(r.pattern, re.IGNORECASE) for r in self.regexes]

    def _month_regex(self) -> str:
        def alternation(forms: dict[str, int]) -> str:
            return "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))

        parts = []
        if self.stems:
            parts.append(rf"(?:{alternation(self.stems)})[^\W\d_]*")
        if self.words:
            parts.append(rf"(?:{alternation(self.words)})\b\.?")
        return rf"\b(?P<m>{'|'.join(parts)})" if parts else ""

    def month(self, word: str) -> int | None:
        """The month a month word names (any case form), or None."""
        word = word.lower().rstrip(".")
        if word in self.words:
            return self.words[word]
        for size in range(len(word), 0, -1):
            if word[:size] in self.stems:
                return self.stems[word[:size]]
        return None

    def find(self, text: str) -> list[tuple[int, int, dt.date]]:
        """All dates in `text` as `(start_char, end_char, date)`, in order, not overlapping."""
        found: list[tuple[int, int, dt.date]] = []
        for regex in self.regexes:
            for match in regex.finditer(text):
                groups = match.groupdict()
                month = int(groups["mo"]) if groups.get("mo") else self.month(groups["m"])
                try:
                    date = dt.date(int(groups["y"]), month or 0, int(groups["d"]))
                except ValueError:
                    continue
                found.append((match.start(), match.end(), date))
        found.sort(key=lambda item: (item[0], -item[1]))
        kept: list[tuple[int, int, dt.date]] = []
        for item in found:
            if not kept or item[0] >= kept[-1][1]:
                kept.append(item)
        return kept


@cache
def default_finder() -> DateFinder:
    """The finder for the project's month table (loaded once)."""
    return DateFinder(load_months())


def month_number(word: str, finder: DateFinder | None = None) -> int | None:
    """The month a Russian, Kazakh or English month word names (any case form), or None."""
    return (finder or default_finder()).month(word)


def find_dates(text: str, finder: DateFinder | None = None) -> list[tuple[int, int, dt.date]]:
    """All full dates in `text` as `(start_char, end_char, date)`."""
    return (finder or default_finder()).find(text)


def parse_date(text: str, finder: DateFinder | None = None) -> dt.date | None:
    """The first full date in `text`, or None (also for a day and month without a year)."""
    found = find_dates(text, finder)
    return found[0][2] if found else None
