"""The sample server: stored pages over real HTTP, and the bad cases made on request."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def fetch(base: str, url: str, headers: dict[str, str] | None = None):
    """GET `url` through the sample server used as an HTTP proxy (as the crawler does)."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": base}), urllib.request.HTTPRedirectHandler
    )
    opener.handlers = [
        h for h in opener.handlers if not isinstance(h, urllib.request.HTTPRedirectHandler)
    ]
    try:
        return opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10)
    except urllib.error.HTTPError as exc:
        return exc


def raw(base: str, target: str) -> http.client.HTTPResponse:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", target)
    return conn.getresponse()


def test_stored_feed_by_proxy_and_by_prefix_with_etag(sample_server: str) -> None:
    first = fetch(sample_server, "http://vlast.kz/rss")
    assert first.status == 200
    assert b"<rss" in first.read()
    etag = first.headers["ETag"]
    again = fetch(sample_server, "http://vlast.kz/rss", {"If-None-Match": etag})
    assert again.status == 304
    assert raw(sample_server, "/vlast.kz/rss").status == 200


def test_robots_missing_pages_and_query_fallback(sample_server: str) -> None:
    assert fetch(sample_server, "http://orda.kz/robots.txt").read() == b"User-agent: *\nAllow: /\n"
    assert (
        b"Disallow: /npa/view" in fetch(sample_server, "http://legalacts.egov.kz/robots.txt").read()
    )
    assert (
        fetch(sample_server, "http://vlast.kz/novosti/61205-udalennaya-novost.html").status == 404
    )
    url = "http://tengrinews.kz/news/kazakhstan/pogoda-na-vyihodnyie-584102/?utm_source=x"
    assert fetch(sample_server, url).status == 200


def test_windows_1251_without_charset(sample_server: str) -> None:
    response = fetch(sample_server, "http://tengrinews.kz/news/kazakhstan/starye-kodirovki-584103/")
    body = response.read()
    assert response.headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "Конституционный совет" in body.decode("cp1251")


def test_503_with_retry_after_then_the_page(sample_server: str) -> None:
    url = "http://vlast.kz/novosti/61204-retry-after.html"
    busy = fetch(sample_server, url)
    assert (busy.status, busy.headers["Retry-After"]) == (503, "1")
    assert fetch(sample_server, url).status == 200


def test_500_redirect_loop_huge_and_gzip_bomb(sample_server: str) -> None:
    assert fetch(sample_server, "http://vlast.kz/novosti/61206-oshibka-servera.html").status == 500
    hop = fetch(sample_server, "http://vlast.kz/novosti/61207-petlya.html")
    assert (hop.status, hop.headers["Location"]) == (302, "/novosti/61207-petlya.html?from=amp")
    back = fetch(sample_server, "http://vlast.kz/novosti/61207-petlya.html?from=amp")
    assert back.headers["Location"] == "/novosti/61207-petlya.html"
    huge = raw(sample_server, "http://tengrinews.kz/news/kazakhstan/ogromnaya-stranica-584105/")
    assert int(huge.headers["Content-Length"]) == 50 << 20
    huge.close()
    bomb = fetch(sample_server, "http://tengrinews.kz/news/kazakhstan/szhataya-bomba-584106/")
    assert bomb.headers["Content-Encoding"] == "gzip"
    assert len(bomb.read()) < 200_000


def _get(base: str, target: str, host: str | None = None) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", target, skip_host=host is not None)
    if host is not None:
        conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    return response.status, response.read()


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, Path]:
    """A sample root (sites/site.kz/page.html) and a secret file outside it."""
    root = tmp_path / "sample"
    site = root / "sites" / "site.kz"
    site.mkdir(parents=True)
    (site / "page.html").write_text("<p>sample page</p>", "utf-8")
    (root / "secret.txt").write_text("SECRET-1", "utf-8")
    private = tmp_path / "private"
    private.mkdir()
    (private / "hostname").write_text("SECRET-2", "utf-8")
    (site / "leak.html").symlink_to(private / "hostname")
    return root, private


def test_hosts_outside_the_sample_sites_are_404(outside: tuple[Path, Path]) -> None:
    from kuzet.sample_server import SampleServer

    root, private = outside
    with SampleServer(root=root) as base:
        assert _get(base, "/page.html", host="site.kz") == (200, b"<p>sample page</p>")
        for host in (str(private), "..", "site.kz/..", "site.kz\\..", "nosuch.kz", ".", "-x"):
            status, body = _get(base, "/hostname", host=host)
            assert status == 404, host
            assert b"SECRET" not in body
        assert _get(base, "/secret.txt", host="..")[0] == 404
        assert _get(base, "http://../secret.txt")[0] == 404


def test_paths_cannot_leave_a_site(outside: tuple[Path, Path]) -> None:
    from kuzet.sample_server import SampleServer

    root, private = outside
    with SampleServer(root=root) as base:
        targets = [
            "http://site.kz/../../secret.txt",
            "http://site.kz/%2e%2e/%2e%2e/secret.txt",
            "http://site.kz/..%2f..%2fsecret.txt",
            f"http://site.kz/{private}/hostname",
            f"http://site.kz//{private}/hostname",
            "http://site.kz/leak.html",
            "http://site.kz/leak",
            "/site.kz/../secret.txt",
            "/../secret.txt",
            f"/{private}/hostname",
        ]
        for target in targets:
            status, body = _get(base, target)
            assert status == 404, target
            assert b"SECRET" not in body
        assert _get(base, "/site.kz/page.html")[0] == 200
