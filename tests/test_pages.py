"""Page modules on saved pages: each fixture's .json holds the URL and the expected values."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from crawler.pages import adilet, akorda, legalacts, parliament
from crawler.pages.article import extract_article
from crawler.pages.feed import parse_feed
from crawler.pages.listing import parse_listing
from crawler.pages.sitemap import parse_sitemap
from kuzet.config import load_sources

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CASES = sorted(PAGES.glob("*/*.json"))


def parse_page(page: str, body: bytes, url: str, selectors: dict[str, str]) -> dict[str, Any]:
    """Run the page module for `page` and summarise its output as plain JSON values."""
    text = body.decode("utf-8")
    if page == "article":
        a = extract_article(text, url, selectors)
        return {**asdict(a), "text_start": a.text[:80], "paragraphs": a.text.count("\n\n") + 1}
    if page == "feed":
        feed = parse_feed(body, url)
        return {"entries": [asdict(e) | {"summary": None} for e in feed.entries],
                "malformed": feed.problem is not None}  # fmt: skip
    if page == "sitemap":
        sm = parse_sitemap(body)
        return {"pages": [list(p) for p in sm.pages], "children": sm.children}
    if page == "listing":
        listing = parse_listing(text, url, selectors)
        return asdict(listing)
    if page == "adilet_index":
        feed, total = adilet.parse_index(body, url)
        return {"total": total, "entries": [e.url for e in feed.entries]}
    if page == "adilet_act":
        act = adilet.parse_act(text, url)
        return {**asdict(act), "text": None, "text_start": act.text[:80]}
    if page == "adilet_info":
        return adilet.parse_info(text)
    if page == "legalacts_list":
        drafts, total = legalacts.parse_list(text, url, selectors)
        return {"total_pages": total, "drafts": [asdict(d) for d in drafts]}
    if page == "parliament_table":
        rows, next_url = parliament.parse_table(text, url, selectors)
        return {"rows": [asdict(r) for r in rows], "next": next_url}
    if page == "parliament_bill":
        return asdict(parliament.parse_bill(text, url, selectors))
    if page == "akorda_list":
        return {"acts": [asdict(a) for a in akorda.parse_list(text, url, selectors)]}
    if page == "akorda_act":
        title, body_text = akorda.parse_act(text, selectors)
        return {"title": title, "text": body_text}
    raise ValueError(f"unknown page kind {page}")


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_page_module_on_saved_page(case: Path, load_response) -> None:
    spec = json.loads(case.read_text("utf-8"))
    response = load_response(spec["url"], case.with_suffix(".html"))
    selectors = load_sources().sources[spec["source"]].selectors
    got = parse_page(spec["page"], response.body, response.url, selectors)
    assert got == spec["expected"]


def test_every_configured_source_has_a_fixture_and_a_sample_twin() -> None:
    covered = {json.loads(p.read_text("utf-8"))["source"] for p in CASES}
    sites = Path(__file__).resolve().parent.parent / "data" / "sample" / "sites"
    for source in load_sources().sources.values():
        assert source.id in covered, f"no page fixture for source {source.id}"
        for host in source.hosts():
            assert (sites / host).is_dir(), f"no sample twin for {source.id} ({host})"


def test_listings_and_tables_yield_items_not_silence() -> None:
    """Counts, not only values: a fixture that should list items must list some."""
    for case in CASES:
        spec = json.loads(case.read_text("utf-8"))
        expected = spec["expected"]
        for key in ("entries", "rows", "drafts", "acts", "links"):
            if key in expected and "changed" not in case.stem:
                assert expected[key], f"{case.name}: {key} is empty"
