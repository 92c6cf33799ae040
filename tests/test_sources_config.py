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


def _pem(path: Path) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources = 1\n", "'sources' must be tables"),
        ("[sources]\nnewsite = 1\n", "source 'newsite': must be a table"),
        ("crawler = 1\n", r"\[crawler\]: must be a table"),
        ("[crawler]\ncontact = 5\n", r"\[crawler\]: 'contact' must be a non-empty string"),
        (
            '[crawler]\nuser_agent = "KuzetBot {nope}"\n',
            r"\[crawler\]: user_agent 'KuzetBot \{nope\}' is not a valid template",
        ),
        ('[crawler]\nuser_agent = "KuzetBot {"\n', r"\[crawler\]: user_agent 'KuzetBot \{'"),
        (RSS + "url = 5\n", "source 'newsite': bad URL 5"),
        (RSS + "sitemaps = [5]\n", "source 'newsite': 'sitemaps' must be a string or a list"),
        (
            RSS + 'schedule = "99 99 99 99 99"\n',
            "source 'newsite': schedule '99 99 99 99 99' is not a valid cron expression",
        ),
        (RSS + 'schedule = "0 25 * * *"\n', "schedule '0 25 \\* \\* \\*' is not a valid cron"),
        (RSS + "schedule = 5\n", "schedule 5 is not a five-field cron expression"),
        (
            RSS + 'selectors = { title = "h1 > > a" }\n',
            "source 'newsite': selectors.title 'h1 > > a' is not a valid CSS selector",
        ),
        (RSS + 'selectors = { date = "time::bogus" }\n', "selectors.date 'time::bogus' is not"),
        (RSS + 'ca_cert = "/nonexistent/ca.pem"\n', "source 'newsite': ca_cert '/nonexistent/ca"),
        (RSS + "ca_cert = 5\n", "source 'newsite': 'ca_cert' must be the path of a PEM"),
    ],
)
def test_wrong_types_and_values_are_one_message(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sources(write(tmp_path, text))


def test_ca_cert_must_hold_a_certificate_and_is_read_beside_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "certs").mkdir()
    junk = tmp_path / "certs" / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match=r"source 'newsite': ca_cert '.*junk.pem' holds no PEM"):
        load_sources(write(tmp_path, RSS + 'ca_cert = "certs/junk.pem"\n'))
    good = tmp_path / "certs" / "intermediate.pem"
    _pem(good)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative to the sources file, not the working directory
    source = load_sources(write(tmp_path, RSS + 'ca_cert = "certs/intermediate.pem"\n'))
    assert source.sources["newsite"].ca_cert == str(good.resolve())


def test_a_broken_sources_file_is_one_line_at_the_cli(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cli import one_error_line

    monkeypatch.setenv("KUZET_SOURCES", str(write(tmp_path, "sources = 1\n")))
    result = run("sources")
    assert result.exit_code == 1
    assert "'sources' must be tables" in one_error_line(result)
