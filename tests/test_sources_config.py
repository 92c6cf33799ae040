"""data/sources.toml: validated on load, mistakes named by source."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.config import load_sources
from kuzet.errors import ConfigError

RSS = """
[sources.newsite]
kind = "news"
langs = ["ru"]
feeds = ["https://example.kz/rss"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, "utf-8")
    return path


def test_the_real_file_loads_with_at_least_20_sources() -> None:
    config = load_sources()
    assert len(config.sources) >= 20
    kinds = {s.kind for s in config.sources.values()}
    assert kinds == {"news", "adilet", "legalacts", "parliament", "akorda"}
    assert "@" in config.crawler.agent()


def test_four_lines_add_an_rss_outlet(tmp_path: Path) -> None:
    source = load_sources(write(tmp_path, RSS)).sources["newsite"]
    assert source.feeds == ("https://example.kz/rss",)
    assert source.enabled
    assert source.group == "news"
    assert source.doc_kind == "news"
    assert source.url == "https://example.kz/rss"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('feedz = ["https://x.kz"]', "source 'newsite': unknown key 'feedz'"),
        ('listing = ["not a url"]', "source 'newsite': bad URL 'not a url'"),
        ('listing = ["https://x.kz/news"]', "source 'newsite': missing selector 'link'"),
        ('schedule = "hourly"', "source 'newsite': schedule 'hourly' is not a five-field cron"),
        ("enabled = 1", "source 'newsite': 'enabled' must be true or false"),
    ],
)
def test_mistakes_are_one_message_naming_the_source(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sources(write(tmp_path, RSS + extra + "\n"))


def test_unknown_kind_and_language(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="source 'newsite': kind 'blog'"):
        load_sources(write(tmp_path, RSS.replace('"news"', '"blog"')))
    with pytest.raises(ConfigError, match="language 'de'"):
        load_sources(write(tmp_path, RSS.replace('["ru"]', '["de"]')))


def test_legislation_kinds_need_their_selectors(tmp_path: Path) -> None:
    text = '[sources.p]\nkind = "parliament"\nlangs = ["ru"]\nstart = ["https://p.kz/bills"]\n'
    with pytest.raises(ConfigError, match="source 'p': missing selector 'row'"):
        load_sources(write(tmp_path, text))


def test_selecting_sources(tmp_path: Path) -> None:
    config = load_sources(
        write(tmp_path, RSS + "\n" + RSS.replace("newsite", "off") + "enabled = false\n")
    )
    assert [s.id for s in config.select()] == ["newsite"]
    assert [s.id for s in config.select(["off"])] == ["off"]
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        config.select(["nope"])
