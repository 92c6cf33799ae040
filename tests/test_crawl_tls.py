"""Per-source CA certificates against a real TLS server on loopback whose chain lacks its
intermediate (as adilet.zan.kz's does); and no listening ports in a crawl."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kuzet.store import Store
from tests.conftest import ROOT

ARTICLE = "<html><body><article><p>A sample article served over TLS.</p></article></body></html>"


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Root CA -> intermediate CA -> leaf for 127.0.0.1, as PEM files."""
    folder = tmp_path_factory.mktemp("chain")
    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Kuzet Test Root", root_key, None, ca=True)
    mid = _cert("Kuzet Test Intermediate", mid_key, (root, root_key), ca=True)
    leaf = _cert("127.0.0.1", leaf_key, (mid, mid_key), ca=False)
    files = {
        "leaf": _pem(leaf),  # the server sends this alone: no intermediate
        "root_only.pem": _pem(root),
        "root_and_intermediate.pem": _pem(root, mid),
        "key": leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


@pytest.fixture(scope="module")
def tls_site(chain: dict[str, Path]) -> Iterator[str]:
    """A feed and an article over HTTPS on 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            base = f"https://127.0.0.1:{self.server.server_address[1]}"
            pages = {
                "/robots.txt": ("text/plain", "User-agent: *\nAllow: /\n"),
                "/feed.xml": (
                    "application/rss+xml",
                    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                    f"<item><title>TLS article</title><link>{base}/a.html</link>"
                    "<pubDate>Tue, 20 Jan 2026 13:00:00 +0500</pubDate></item></channel></rss>",
                ),
                "/a.html": ("text/html; charset=utf-8", ARTICLE),
            }
            ctype, body = pages.get(self.path, ("text/plain", "not found"))
            data = body.encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain["leaf"], chain["key"])
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def crawl(tmp: Path, base: str, ca_file: Path) -> tuple[dict[str, Any], str]:
    """Crawl the TLS site as source `tls` with `ca_cert` (a path relative to sources.toml);
    returns its run row and the crawl's log."""
    tmp.mkdir()
    (tmp / "certs").mkdir()
    (tmp / "certs" / "ca.pem").write_bytes(ca_file.read_bytes())
    (tmp / "sources.toml").write_text(
        '[sources.tls]\nkind = "news"\nlangs = ["en"]\n'
        f'feeds = ["{base}/feed.xml"]\nca_cert = "certs/ca.pem"\n'
        'selectors = { body = "article p" }\n',
        "utf-8",
    )
    db = tmp / "kuzet.db"
    Store.open(db).close()
    quick = ["RETRY_ENABLED=False", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]
    result = subprocess.run(
        [sys.executable, "-m", "crawler.run", "--db", str(db), "--log-level", "INFO"]
        + [arg for setting in quick for arg in ("--set", setting)]
        + ["tls"],
        cwd=ROOT,
        env={**os.environ, "KUZET_SOURCES": str(tmp / "sources.toml"), "KUZET_VAR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    with Store.open(db) as store:
        runs = store.run_rows()
        assert store.count_documents() == (1 if runs and runs[0]["new_docs"] else 0)
    assert len(runs) == 1, result.stderr[-3000:]
    return runs[0], result.stderr


def test_a_missing_intermediate_fails_without_it_and_works_with_it(
    tmp_path: Path, tls_site: str, chain: dict[str, Path]
) -> None:
    failed, log = crawl(tmp_path / "without", tls_site, chain["root_only.pem"])
    assert failed["status"] == "failed", failed
    assert failed["new_docs"] == 0
    assert "certificate verify failed" in log
    worked, log = crawl(tmp_path / "with", tls_site, chain["root_and_intermediate.pem"])
    assert worked["status"] == "ok", (worked, log[-2000:])
    assert (worked["method"], worked["new_docs"], worked["errors"]) == ("feed", 1, 0)


def test_a_crawl_opens_no_telnet_console_or_remote_control(
    tmp_path: Path, tls_site: str, chain: dict[str, Path]
) -> None:
    run, log = crawl(tmp_path / "ports", tls_site, chain["root_and_intermediate.pem"])
    assert "Spider opened" in log  # INFO lines are in the log, so the next checks mean something
    assert "Enabled extensions" in log
    assert "Telnet console listening" not in log
    assert "TelnetConsole" not in log
    assert "Remote control HTTP server listening" not in log
    assert "RemoteControl" not in log
    assert run["status"] == "ok"
