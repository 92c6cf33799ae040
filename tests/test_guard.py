"""The test network guard: loopback only, in this process and in every subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kuzet.crawl import _env as crawl_env

#: TEST-NET-1 (RFC 5737): never a real host, so nothing is reached even without the guard.
FAR = ("192.0.2.1", 9)


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_this_process_reaches_loopback_only() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="loopback only"):
        sock.connect_ex(FAR)
    with socket.socket() as sock, pytest.raises(RuntimeError, match="loopback only"):
        sock.connect(FAR)
    with pytest.raises(socket.gaierror, match="no name lookups"):
        socket.getaddrinfo("example.com", 80)


def test_a_subprocess_cannot_connect_anywhere_but_loopback() -> None:
    blocked = _python(
        "import socket\n"
        f"s = socket.socket(); s.settimeout(3)\n"
        f"print('connect_ex', s.connect_ex({FAR!r}))\n"
    )
    assert blocked.returncode != 0
    assert "KUZET_LOOPBACK_ONLY: connection to ('192.0.2.1', 9) refused" in blocked.stderr
    assert "connect_ex" not in blocked.stdout
    lookup = _python("import socket; socket.create_connection(('example.com', 80), timeout=3)")
    assert "KUZET_LOOPBACK_ONLY: no name lookups ('example.com')" in lookup.stderr


def test_a_subprocess_still_reaches_loopback() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
        accepted.start()
        ok = _python(f"import socket; socket.create_connection(('localhost', {port})); print('ok')")
        accepted.join(timeout=30)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "ok"


def test_crawl_subprocesses_inherit_the_guard() -> None:
    env = crawl_env()
    assert env["KUZET_LOOPBACK_ONLY"] == "1"
    result = _python(
        "import socket; print(getattr(socket.socket.connect_ex, '_kuzet_guard', False))", env
    )
    assert result.stdout.strip() == "True", result.stderr


def test_no_developer_kuzet_variable_reaches_a_test(tmp_path: Path) -> None:
    leaked = [k for k in os.environ if k.startswith("KUZET_")]
    assert sorted(leaked) == ["KUZET_LOOPBACK_ONLY", "KUZET_VAR"]
    assert os.environ["KUZET_VAR"] == str(tmp_path / "var")
