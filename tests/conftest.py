"""Shared fixtures: a loopback-only network guard, temporary databases, the CLI runner."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kuzet.cli import cli
from kuzet.importer import import_file
from kuzet.store import Store
from tests.guard import sitecustomize as guard

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "documents.jsonl"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

GUARD_DIR = Path(__file__).resolve().parent / "guard"
#: Variables a developer's shell may set that would make tests read or write outside tmp.
KEEP_ENV = {"KUZET_LOOPBACK_ONLY"}


@pytest.fixture(scope="session", autouse=True)
def _loopback_only_session() -> Iterator[None]:
    """The whole session, subprocesses included, reaches loopback only.

    This process gets the guard of tests/guard/sitecustomize.py directly; subprocesses import
    it at start-up because its directory leads PYTHONPATH and KUZET_LOOPBACK_ONLY=1 is set
    (`kuzet.crawl` builds the crawl's environment from os.environ, so crawls inherit both).
    Developer KUZET_* variables are cleared for the session.
    """
    with pytest.MonkeyPatch.context() as mp:
        for name, fn in guard.guarded().items():
            mp.setattr(socket.socket if "connect" in name else socket, name, fn)
        for name in [k for k in os.environ if k.startswith("KUZET_") and k not in KEEP_ENV]:
            mp.delenv(name)
        mp.setenv(guard.ENV, "1")
        mp.setenv(
            "PYTHONPATH",
            os.pathsep.join(filter(None, [str(GUARD_DIR), os.environ.get("PYTHONPATH")])),
        )
        yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's database, sources, sample sites, settings or mail
    variables, or writes into the checkout's var/ (KUZET_VAR is the test's own)."""
    for name in [k for k in os.environ if k.startswith("KUZET_") and k not in KEEP_ENV]:
        monkeypatch.delenv(name)
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


# -- a real SMTP server on loopback (aiosmtpd) -------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts.

    Not started until `start()`, so a test can send while it is down and start it later on
    the same port. `messages` holds (envelope sender, recipients, message bytes).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []
        self._controller: object | None = None

    def start(
        self,
        *,
        password: str | None = None,
        tls: object | None = None,
        implicit_tls: bool = False,
        delay: float = 0.0,
    ) -> SmtpSink:
        """Listen; with `password`, require a login as any user with that password; with
        `delay`, answer each message that many seconds late (a slow server)."""
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if delay:
                    await asyncio.sleep(delay)
                sink.messages.append(
                    (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
                )
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = password is not None and auth_data.password.decode() == password
            if ok:
                sink.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        kwargs: dict[str, object] = {"hostname": "127.0.0.1", "port": self.port}
        if password is not None:
            kwargs |= {
                "authenticator": authenticator,
                "auth_required": True,
                "auth_require_tls": tls is not None and not implicit_tls,
            }
        if tls is not None and implicit_tls:
            kwargs["ssl_context"] = tls
        elif tls is not None:
            kwargs |= {"tls_context": tls, "require_starttls": True}
        self._controller = Controller(Handler(), **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on a free loopback port; call `.start()` to listen."""
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
