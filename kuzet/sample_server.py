"""The offline sample sites over real HTTP on 127.0.0.1, with the bad cases made on request.

The server is also an HTTP proxy: a crawler in sample mode sends `GET http://vlast.kz/rss`
to it, and it answers from `data/sample/sites/vlast.kz/rss.xml`. A browser can use path
prefixes instead: `http://127.0.0.1:PORT/vlast.kz/rss`. Pathological answers (slow, huge,
gzip bomb, redirect loop, 404/500/503, windows-1251 without charset) are listed in
`data/sample/generated.toml` and generated at request time, never stored.

Sites can also change between crawls: *step* N of the bill sequence (`data/sample/steps/`, see
`steps.toml` there) serves a page from `steps/N/<host>/…` if it is there, else from step N-1,
…, step 1, else from `sites/<host>/…`, so each step holds only the pages that change in it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import tomllib
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
BENCH_HOST = "bench.kuzet.test"
_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: What a sample host name may look like (no slashes, backslashes or leading dots).
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@dataclass
class SampleSites:
    """The sample sites on disk and the generated routes; shared by the handler threads."""

    root: Path = SAMPLE_DIR
    slow_seconds: float = 6.0
    step: int = 0
    routes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _bomb: bytes | None = None

    def __post_init__(self) -> None:
        generated = self.root / "generated.toml"
        if generated.exists():
            for route in tomllib.loads(generated.read_text("utf-8")).get("route", []):
                self.routes[(route["host"], route["path"])] = route

    def hosts(self) -> list[str]:
        """Every host that has a sample site."""
        return sorted(p.name for p in (self.root / "sites").iterdir() if p.is_dir())

    def serves(self, host: str) -> bool:
        """Whether `host` is a sample site, a generated route's host or the bench host.

        Anything else (`/etc`, `..`, `a\\b`) is answered 404, so a Host header can never
        name a directory outside the sample sites.
        """
        if host == BENCH_HOST or any(h == host for h, _path in self.routes):
            return True
        if not _HOST.fullmatch(host) or ".." in host:
            return False
        return (self.root / "sites" / host).is_dir()

    def file_for(self, host: str, path: str) -> Path | None:
        """The stored file answering `path` on `host` (see README: sample sites), looked for in
        the steps up to `step` (latest first), then in the sites."""
        layers = [self.root / "steps" / str(n) / host for n in range(self.step, 0, -1)]
        for site in [*layers, self.root / "sites" / host]:
            if (found := _file_in(site.resolve(), path)) is not None:
                return found
        if "?" in path:  # like real sites, ignore unknown query parameters
            return self.file_for(host, path.split("?", 1)[0])
        return None

    def hit(self, key: str) -> int:
        """Count a request for `key`; returns how many came before."""
        with self.lock:
            n = self.hits.get(key, 0)
            self.hits[key] = n + 1
            return n

    def gzip_bomb(self) -> bytes:
        """About 100 KB of gzip that inflates to 100 MB of zeros (made once)."""
        if self._bomb is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            chunk = b"\0" * (1 << 20)
            self._bomb = b"".join(comp.compress(chunk) for _ in range(100)) + comp.flush()
        return self._bomb


def _file_in(site: Path, path: str) -> Path | None:
    """The file under `site` that answers `path`: as is, + .xml / .html, or an index file."""
    rel = path.lstrip("/").replace("?", "@")
    base = (site / rel).resolve()
    if not base.is_relative_to(site):
        return None
    names = [base, *(base.with_name(base.name + ext) for ext in (".xml", ".html"))]
    names += [base / "index.xml", base / "index.html"]
    # a symlink leading out of the site is not served
    return next((n for n in names if n.is_file() and n.resolve().is_relative_to(site)), None)


def available_steps(root: Path | None = None) -> list[int]:
    """The steps of the bill sequence in the sample (`data/sample/steps/<N>/`), in order."""
    folder = (root or sample_dir()) / "steps"
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())


def check_step(step: int, root: Path | None = None) -> int:
    """`step` if the sample has it (0 = the sites as they are); ValueError naming the choices."""
    steps = available_steps(root)
    if step != 0 and step not in steps:
        have = f"{steps[0]}-{steps[-1]}" if steps else "none"
        raise ValueError(f"no sample step {step} (the sample has steps {have}; 0 = no step)")
    return step


class SampleHandler(BaseHTTPRequestHandler):
    """Answers one request from the sample sites."""

    server: SampleHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sample server: " + format, *args)

    def do_GET(self) -> None:
        host, path = self._target()
        sites = self.server.sites
        try:
            if not sites.serves(host):
                self._send(404, b"<h1>404 Not Found</h1>", "text/html; charset=utf-8")
            elif host == BENCH_HOST:
                self._bench(path)
            elif (route := sites.routes.get((host, path))) is not None:
                self._generated(route, host, path)
            elif path == "/robots.txt" and not sites.file_for(host, path):
                self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif (found := sites.file_for(host, path)) is not None:
                self._file(found)
            else:
                self._send(404, b"<h1>404 Not Found</h1>", "text/html; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away during %s%s", host, path)

    def _target(self) -> tuple[str, str]:
        """(host, path?query) from an absolute-URI proxy request, a Host header or a prefix."""
        if self.path.startswith("http://"):
            parts = urlsplit(self.path)
            host = parts.hostname or ""
            path = parts.path or "/"
            return host, path + (f"?{parts.query}" if parts.query else "")
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        if host in _LOOPBACK or not host:
            first, _, rest = self.path.lstrip("/").partition("/")
            return first, "/" + rest
        return host, self.path

    def _file(self, found: Path) -> None:
        body = found.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, {"ETag": etag})
            return
        ctype = _TYPES.get(found.suffix, "application/octet-stream")
        self._send(200, body, ctype, {"ETag": etag})

    def _generated(self, route: dict[str, Any], host: str, path: str) -> None:
        case = route["case"]
        sites = self.server.sites
        if case == "status":
            self._send(int(route["status"]), f"<h1>{route['status']}</h1>".encode(), "text/html")
        elif case == "retry_after":
            if sites.hit(f"{host}{path}") < int(route.get("fail_times", 1)):
                self._send(503, b"<h1>busy</h1>", "text/html", {"Retry-After": "1"})
            else:
                self._file(sites.root / "sites" / host / route["from"])
        elif case == "slow":
            time.sleep(sites.slow_seconds)
            self._send(200, b"<html><body><p>too late</p></body></html>", "text/html")
        elif case == "huge":
            self._huge(int(route.get("megabytes", 50)))
        elif case == "gzip_bomb":
            headers = {"Content-Encoding": "gzip"}
            self._send(200, sites.gzip_bomb(), "text/html; charset=utf-8", headers)
        elif case == "redirect":
            self._send(302, b"", None, {"Location": route["to"]})
        elif case == "cp1251":
            html = (sites.root / "sites" / host / route["from"]).read_text("utf-8")
            html = re.sub(r"<meta[^>]*charset[^>]*>", "", html, flags=re.IGNORECASE)
            self._send(200, html.encode("cp1251"), "text/html")
        else:
            self._send(500, f"unknown sample case {case}".encode(), "text/plain")

    def _huge(self, megabytes: int) -> None:
        size = megabytes << 20
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        for _ in range(size // len(chunk)):
            self.wfile.write(chunk)

    def _bench(self, path: str) -> None:
        parts = urlsplit(path)
        if parts.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif parts.path == "/sitemap.xml":
            n = int(parse_qs(parts.query).get("n", ["5000"])[0])
            self._send(200, bench_sitemap(n), "application/xml")
        elif m := re.fullmatch(r"/news/(\d+)\.html", parts.path):
            self._send(200, bench_article(int(m.group(1))), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(
        self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET


class SampleHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its sample sites."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], sites: SampleSites) -> None:
        super().__init__(address, SampleHandler)
        self.sites = sites

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, size limits) are expected here: log, don't print."""
        log.debug("sample server: connection from %s ended with an error", client_address)


class SampleServer:
    """Run the sample sites in a background thread: `with SampleServer() as url: ...`."""

    def __init__(
        self, port: int = 0, *, slow_seconds: float = 6.0, root: Path | None = None, step: int = 0
    ):
        root = root or sample_dir()
        sites = SampleSites(root, slow_seconds, step=check_step(step, root))
        self.httpd = SampleHTTPServer(("127.0.0.1", port), sites)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8765 (also the proxy address for sample mode)."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sample_dir() -> Path:
    """The sample sites' directory: `KUZET_SAMPLE_DIR`, else `data/sample` in the checkout."""
    return Path(os.environ.get("KUZET_SAMPLE_DIR") or SAMPLE_DIR)


def bench_sitemap(n: int) -> bytes:
    """A sitemap of `n` generated articles."""
    urls = "".join(
        f"<url><loc>http://{BENCH_HOST}/news/{i}.html</loc><lastmod>2026-01-01</lastmod></url>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def bench_article(i: int) -> bytes:
    """A generated article page of about 4 KB."""
    para = (
        f"<p>Абзац {{k}} материала номер {i}: депутаты обсудили поправки к закону, "
        "правозащитники направили письмо в комитет, журналисты задали вопросы.</p>"
    )
    body = "".join(para.format(k=k) for k in range(12))
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Новость {i}</title>'
        f'<meta property="article:published_time" content="2026-01-01T10:00:00+05:00"></head>'
        f'<body><article><h1>Новость {i}</h1><div class="body">{body}</div></article>'
        "</body></html>"
    ).encode()


__all__ = ["SampleServer", "SampleSites", "available_steps", "check_step"]
