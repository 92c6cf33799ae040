"""Tiny sites on 127.0.0.1 for the scheduler tests: one that answers, one that never does.

Kept apart from conftest so the subprocess tests can reuse them. Text written for Kuzet.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Community centre in Almaty opens a legal help desk</title></head>
<body><article><h1>Community centre in Almaty opens a legal help desk</h1>
<p>A community centre in Almaty opened a weekly help desk where volunteer lawyers answer
questions about employment, housing and police conduct.</p>
<p>The organisers said most visitors asked how to document an incident and where to file a
complaint, and that the desk keeps no names unless a visitor asks for follow-up.</p>
<p>The desk is open on Saturdays; a second one is planned in Shymkent next year.</p>
</article></body></html>"""


def feed(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback news</title><link>{base}/</link>
<description>test</description>
<item><title>Community centre in Almaty opens a legal help desk</title>
<link>{base}/news/1.html</link><pubDate>Mon, 02 Mar 2026 09:00:00 +0500</pubDate></item>
</channel></rss>"""


class QuickSite:
    """A news site on loopback: robots.txt, an RSS feed with one item, the article."""

    def __init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                pages = {
                    "/robots.txt": ("text/plain", "User-agent: *\nAllow: /\n"),
                    "/feed.xml": ("application/rss+xml", feed(site.url)),
                    "/news/1.html": ("text/html; charset=utf-8", ARTICLE),
                }
                kind, body = pages.get(self.path, ("text/plain", ""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Tarpit:
    """Accepts TCP connections on loopback and never answers: a crawl there hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def write_sources(path: Path, **feeds: str) -> Path:
    """A sources file with one news source per keyword (id = feed URL)."""
    tables = [
        f'[sources.{sid}]\nkind = "news"\nlangs = ["en"]\nfeeds = ["{url}"]\n'
        for sid, url in feeds.items()
    ]
    path.write_text("\n".join(tables), "utf-8")
    return path
