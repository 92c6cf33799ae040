"""Smaller pieces of the crawler: sources check, per-source TLS, the run summary, the archive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from scrapy.utils.test import get_crawler

from crawler.extensions import run_summary
from crawler.run import spider_for
from crawler.tls import ExtraCAContextFactory, load_certificates
from kuzet.archive import WarcArchive, read_record
from kuzet.cli import cli
from kuzet.config import load_sources


def test_sources_check_against_the_sample_sites() -> None:
    result = CliRunner().invoke(cli, ["sources", "check", "--sample", "kaztag", "vlast", "adilet"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("FAIL kaztag") and "0 links match" in line for line in lines)
    assert any(line.startswith("ok   vlast") and "feed: 7 entries" in line for line in lines)
    assert any(line.startswith("ok   adilet") and "2 acts" in line for line in lines)
    assert "1 of 3 sources gave nothing usable" in result.output


def test_crawl_refuses_unknown_sources_in_one_line(run) -> None:
    result = run("crawl", "nosuchsource")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: unknown source 'nosuchsource'")


def _self_signed(path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Intermediate CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_extra_ca_certificate_for_one_source(tmp_path: Path) -> None:
    pem = tmp_path / "intermediate.pem"
    _self_signed(pem)
    assert len(load_certificates(pem)) == 1
    source = load_sources().sources["adilet"]
    cls = spider_for(source.__class__(**{**source.__dict__, "ca_cert": str(pem)}))
    assert cls.custom_settings["KUZET_CA_CERT"] == str(pem)
    crawler = get_crawler(settings_dict=cls.custom_settings)
    factory = ExtraCAContextFactory.from_crawler(crawler)
    assert factory.creatorForNetloc(b"adilet.zan.kz", 443) is not None
    assert spider_for(source) is not cls  # sources without ca_cert keep the default


class _Spider:
    def __init__(self) -> None:
        self.failures = ["HTTP 404 at http://x.kz/a"]
        self.problems = ["listing http://x.kz/: selector 'a.x' matched nothing"]
        self.answered_by = None


def test_run_summary_fails_loudly_when_nothing_answered() -> None:
    summary = run_summary({"kuzet/pages": 1}, _Spider(), "finished")
    assert summary["status"] == "failed"
    assert summary["warnings"] == 2
    assert summary["message"].startswith("WARNING: listing http://x.kz/: selector 'a.x'")
    assert "HTTP 404 at http://x.kz/a" in summary["message"]


def test_warc_round_trip(tmp_path: Path) -> None:
    archive = WarcArchive("test", tmp_path / "archive")
    headers = [(b"Content-Type", b"text/html"), (b"Content-Encoding", b"gzip")]
    first = archive.write_response("http://x.kz/a", 200, headers, "<p>Привет</p>".encode())
    second = archive.write_response("http://x.kz/b", 200, [], b"two")
    archive.close()
    assert first.offset == 0 < second.offset
    record = read_record(str(tmp_path / "archive" / archive.name), second.offset)
    assert record["body"] == b"two"
    assert record["payload_sha256"] == second.payload_sha256
    record = read_record(str(tmp_path / "archive" / archive.name), first.offset)
    assert ("Content-Encoding", "gzip") not in record["http_headers"]  # body stored decoded
