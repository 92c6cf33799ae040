"""Test-only network guard: with KUZET_LOOPBACK_ONLY=1, a process reaches loopback only.

`tests/conftest.py` puts this directory first on PYTHONPATH and sets KUZET_LOOPBACK_ONLY=1 for
the whole test session, so Python imports this module at start-up in every subprocess a test
starts (crawls, Datasette, `python -c`); the test process itself uses `install()` through the
conftest. `connect` and `connect_ex` (Twisted's) refuse any address but 127.0.0.0/8 and ::1,
and name lookups of anything but IP literals and `localhost` fail, so no query leaves either.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

ENV = "KUZET_LOOPBACK_ONLY"
_INET = (socket.AF_INET, socket.AF_INET6)


def is_loopback(host: object) -> bool:
    """Whether `host` (an address or a name) is this machine's loopback."""
    name = str(host).strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def check_address(sock: socket.socket, address: Any) -> None:
    """Raise RuntimeError if `sock` would connect anywhere but loopback."""
    if sock.family in _INET:
        host = address[0] if isinstance(address, tuple) else address
        if not is_loopback(host):
            raise RuntimeError(f"{ENV}: connection to {address!r} refused: loopback only")


def check_lookup(host: object) -> None:
    """Raise socket.gaierror for a lookup that would ask a name server."""
    if host is None or isinstance(host, int):
        return
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        if not is_loopback(name):
            raise socket.gaierror(
                socket.EAI_NONAME, f"{ENV}: no name lookups ({name!r}): only loopback is allowed"
            ) from None


def guarded() -> dict[str, Any]:
    """Replacements for the socket functions that could reach the network."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo, real_gethostbyname = socket.getaddrinfo, socket.gethostbyname

    def connect(sock: socket.socket, address: Any) -> None:
        check_address(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check_address(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check_lookup(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        check_lookup(host)
        return real_gethostbyname(host)

    return {
        "connect": connect,
        "connect_ex": connect_ex,
        "getaddrinfo": getaddrinfo,
        "gethostbyname": gethostbyname,
    }


def install() -> None:
    """Guard this process (idempotent)."""
    if getattr(socket.socket.connect, "_kuzet_guard", False):
        return
    replacements = guarded()
    for fn in replacements.values():
        fn._kuzet_guard = True  # type: ignore[attr-defined]
    socket.socket.connect = replacements["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = replacements["connect_ex"]  # type: ignore[method-assign]
    socket.getaddrinfo = replacements["getaddrinfo"]
    socket.gethostbyname = replacements["gethostbyname"]


if os.environ.get(ENV) == "1":
    install()
