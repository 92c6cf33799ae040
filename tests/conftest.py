"""Shared fixtures: a loopback-only network guard, temporary databases, the CLI runner."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kuzet.cli import cli
from kuzet.importer import import_file
from kuzet.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "documents.jsonl"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_real_connect = socket.socket.connect


def _guarded_connect(sock: socket.socket, address: object) -> object:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else str(address)
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise RuntimeError(f"test tried to reach {address}: only loopback is allowed")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that connects anywhere but 127.0.0.0/8 or ::1."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's KUZET_DB or writes into the checkout's var/."""
    monkeypatch.delenv("KUZET_DB", raising=False)
    monkeypatch.setenv("KUZET_VAR", str(tmp_path / "var"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path for a new database file in a temporary directory."""
    return tmp_path / "kuzet.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A fresh, migrated, empty database."""
    with Store.open(db_path) as s:
        yield s


@pytest.fixture
def sample_store(store: Store) -> Store:
    """The database with the bundled sample documents loaded."""
    report = import_file(store, SAMPLE)
    assert not report.errors
    return store


@pytest.fixture
def sample_db(sample_store: Store) -> Path:
    """Path of a database holding the sample documents (connection closed)."""
    sample_store.close()
    return sample_store.path


@pytest.fixture
def run(db_path: Path) -> object:
    """Run `kuzet --db <db_path> ARGS…` in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, ["--db", str(db_path), *args], input=input)

    return invoke


PAGES = FIXTURES / "pages"


@pytest.fixture
def load_response() -> object:
    """`load_response(url, path)`: an HtmlResponse built from a saved page's raw bytes."""
    from scrapy.http import HtmlResponse, Request

    def build(url: str, path: Path | str) -> HtmlResponse:
        body = (
            (PAGES / path).read_bytes() if not Path(path).is_absolute() else Path(path).read_bytes()
        )
        return HtmlResponse(url=url, body=body, request=Request(url))

    return build


@pytest.fixture
def sample_server() -> Iterator[str]:
    """The offline sample sites on a free loopback port (slow page: 3 s); yields the base URL."""
    from kuzet.sample_server import SampleServer

    with SampleServer(slow_seconds=3.0) as url:
        yield url
