"""Dates in the forms Kazakh sites write them."""

from __future__ import annotations

import pytest

from crawler.pages.dates import parse_date
from crawler.pages.encoding import guess_encoding


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("30 декабря 2025 года", "2025-12-30T00:00:00+05:00"),
        ("30 желтоқсан 2025", "2025-12-30T00:00:00+05:00"),
        ("2025 жылғы 4 желтоқсан", "2025-12-04T00:00:00+05:00"),
        ("12.11.2025", "2025-11-12T00:00:00+05:00"),
        ("16/01/2026", "2026-01-16T00:00:00+05:00"),
        ("18 мая 2025, 14:30", "2025-05-18T14:30:00+05:00"),
        ("14.01.2026 16:30", "2026-01-14T16:30:00+05:00"),
        ("3 March 2026", "2026-03-03T00:00:00+05:00"),
        ("Tue, 30 Dec 2025 14:05:00 +0600", "2025-12-30T14:05:00+06:00"),
        ("2025-12-30T10:00:00Z", "2025-12-30T10:00:00+00:00"),
        # Almaty was UTC+6 until March 2024
        ("26 мая 2015 года, 18:00", "2015-05-26T18:00:00+06:00"),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize("text", ["", "   ", "Сегодня", "31.02.2025", None])
def test_no_date(text: str | None) -> None:
    assert parse_date(text) is None


def test_guess_encoding() -> None:
    text = "Конституционный совет признал закон не соответствующим Конституции"
    assert guess_encoding(text.encode("utf-8")) == "utf-8"
    assert guess_encoding(text.encode("cp1251")) == "cp1251"


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-11-30", "2026-11-30"),  # a bare date is that day
        ("2026-11-30T21:00:00+00:00", "2026-12-01"),  # 02:00 in Almaty (UTC+5)
        ("2026-11-30T18:59:59Z", "2026-11-30"),
        ("2026-11-30T23:30:00", "2026-11-30"),  # no offset: local time already
        ("2026-12-01T01:00:00+06:00", "2026-12-01"),
    ],
)
def test_local_date(value: str, day: str) -> None:
    from kuzet.bill_phrases import local_date as local_iso
    from kuzet.documents import local_date

    assert str(local_date(value)) == day
    assert local_iso(value) == day  # the string form bills store


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-01", 20261130])
def test_local_date_unreadable(value: object) -> None:
    from kuzet.bill_phrases import local_date as local_iso
    from kuzet.documents import local_date

    assert local_date(value) is None  # type: ignore[arg-type]
    assert local_iso(value) is None  # type: ignore[arg-type]
