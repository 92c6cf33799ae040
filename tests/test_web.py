"""`kuzet serve`: the read-only Datasette UI, started for real and driven in headless Chromium."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuzet.schema_docs import TABLES
from kuzet.store import Store
from kuzet.web import CANNED_QUERIES, metadata
from tests.conftest import ROOT

EXTORTION_TITLE_WORD = "вымогательство"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # every host name fails to resolve except loopback: the page cannot reach the internet
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@pytest.fixture
def server(sample_db: Path, tmp_path: Path) -> Iterator[str]:
    """`kuzet serve` on a free loopback port, as a user would start it; yields its base URL."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kuzet", "--db", str(sample_db), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "KUZET_VAR": str(tmp_path)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(f"{base}/-/versions.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"kuzet serve did not answer: {(tmp_path / 'serve.log').read_text()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_metadata_describes_every_table_and_column(store: Store) -> None:
    described = {t: set(cols) for t, (_about, cols) in TABLES.items()}
    for table, columns in store.schema_columns().items():
        assert table in described, f"table {table} has no description in schema_docs"
        assert set(columns) == described[table], table
    meta = metadata("kuzet")["databases"]["kuzet"]
    assert set(meta["tables"]) == set(described)
    assert meta["tables"]["documents"]["fts_table"] == "documents_fts"
    assert set(meta["queries"]) == {
        "flagged_last_7_days",
        "bills_by_stage",
        "documents_per_source_per_month",
    }


def test_schema_doc_is_current() -> None:
    from kuzet.schema_docs import markdown

    assert (ROOT / "docs" / "schema.md").read_text("utf-8") == markdown()


def listening_addresses(port: int) -> set[str]:
    """Local addresses of every TCP socket listening on `port`, from /proc/net/tcp{,6}."""
    found = set()
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # the kernel prints each 32-bit word in host (little-endian) order
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, size, 4))
            found.add(str(ipaddress.ip_address(words)))
    return found


def test_listening_addresses_reads_the_kernel_tables() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        assert listening_addresses(s.getsockname()[1]) == {"127.0.0.1"}
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen(1)
        assert listening_addresses(s.getsockname()[1]) == {"0.0.0.0"}


def test_serve_binds_loopback_and_is_read_only(server: str, sample_db: Path) -> None:
    port = int(server.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"127.0.0.1"}  # the real socket, not the fixture's URL
    before = Store.open(sample_db, create=False)
    count = before.count_documents()
    before.close()
    sql = urllib.parse.quote("DELETE FROM documents")
    status, body = get(f"{server}/kuzet.json?sql={sql}")
    assert status == 400
    assert "Statement must be a SELECT" in body
    assert get(f"{server}/kuzet.db")[0] == 403  # no whole-database download
    with Store.open(sample_db, create=False) as after:
        assert after.count_documents() == count


def test_search_facets_and_canned_queries_answer(server: str) -> None:
    word = urllib.parse.quote(EXTORTION_TITLE_WORD)
    status, body = get(f"{server}/kuzet/documents.json?_search={word}&_shape=objects")
    assert status == 200
    data = json.loads(body)
    assert any("60001-sample-police-extortion" in r["url"] for r in data["rows"])
    facets = set(data["facet_results"]) if "facet_results" in data else set()
    assert {"source", "lang", "kind", "topics"} <= facets
    for name in CANNED_QUERIES:
        status, body = get(f"{server}/kuzet/{name}.json?_shape=objects")
        assert status == 200, (name, body[:300])
        assert "rows" in json.loads(body)


@pytest.mark.browser
def test_search_box_in_a_real_browser(server: str, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ["KUZET_VAR"]) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/kuzet/documents")
        assert "sogi" in page.content() or "topics" in page.content()
        page.fill("input[name=_search]", EXTORTION_TITLE_WORD)
        page.press("input[name=_search]", "Enter")
        page.wait_for_load_state("networkidle")
        assert "_search=" in page.url
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() >= 1
        assert "60001-sample-police-extortion" in page.inner_text("table.rows-and-columns")
        page.screenshot(path=str(shots / "web-search.png"), full_page=True)
        browser.close()
    assert (shots / "web-search.png").stat().st_size > 10_000
