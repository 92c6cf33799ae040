"""Crawl benchmark: 5,000 generated pages from the local sample server, end to end into
SQLite (archive, pipelines, runs), against a bare Scrapy spider that only parses and drops.

Run: make bench  (or python bench/crawl.py [--pages N]). Prints pages/s for both, their
ratio (target >= 0.5) and each process's peak memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kuzet.sample_server import BENCH_HOST, SampleServer  # noqa: E402

#: Same for both runs: no politeness delays against our own loopback server.
SHARED = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "ERROR",
}
SOURCES = """
[sources.bench]
kind = "news"
langs = ["ru"]
sitemaps = ["http://{host}/sitemap.xml?n={n}"]
max_items = {n}
selectors = {{ body = "div.body p", title = "h1" }}
"""


def bare_spider_main(proxy: str, n: int) -> None:
    """The baseline: the same requests, parsed with the same selectors, items dropped."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.pages.article import extract_article
    from crawler.pages.sitemap import parse_sitemap

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[override]
            yield scrapy.Request(f"http://{BENCH_HOST}/sitemap.xml?n={n}")

        def parse(self, response):  # type: ignore[override]
            for url, _date, _title in parse_sitemap(response.body).pages:
                yield scrapy.Request(url, self.parse_page)

        def parse_page(self, response):  # type: ignore[no-untyped-def]
            extract_article(response.text, response.url, {"body": "div.body p", "title": "h1"})

    settings = {**SHARED, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False}
    settings["ROBOTSTXT_OBEY"] = True
    process = CrawlerProcess(settings)
    process.crawl(Bare)
    process.start()


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:4]} failed with status {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--bare", metavar="PROXY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_spider_main(args.bare, args.pages)
        return
    n = args.pages
    with tempfile.TemporaryDirectory() as tmp, SampleServer() as proxy:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(SOURCES.format(host=BENCH_HOST, n=n), "utf-8")
        env = {**os.environ, "KUZET_SOURCES": str(sources), "KUZET_VAR": tmp}
        env["PYTHONPATH"] = str(ROOT)
        # the bare spider reaches the server through HttpProxyMiddleware (robots.txt too)
        bare_env = {**env, "http_proxy": proxy, "no_proxy": ""}
        bare_cmd = [sys.executable, __file__, "--bare", proxy, "--pages", str(n)]
        bare_s, bare_mb = timed(bare_cmd, bare_env)
        full_cmd = [sys.executable, "-m", "crawler.run", "--db", f"{tmp}/bench.db"]
        full_cmd += ["--sample-proxy", proxy, "--log-level", "ERROR", "bench"]
        full_cmd += [f"--set={k}={v}" for k, v in SHARED.items()]
        full_s, full_mb = timed(full_cmd, env)
        stored = _count(Path(tmp) / "bench.db")
    bare_rate, full_rate = n / bare_s, n / full_s
    print(f"crawl benchmark: {n} generated pages from the loopback sample server")
    print(f"  bare Scrapy, parse+drop: {bare_rate:7.1f} p/s ({bare_s:.1f} s, peak {bare_mb} MiB)")
    print(f"  Kuzet end to end:        {full_rate:7.1f} p/s ({full_s:.1f} s, peak {full_mb} MiB)")
    print(f"  documents stored: {stored}")
    print(f"  ratio: {full_rate / bare_rate:.2f} of bare Scrapy (target >= 0.5)")


def _count(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
    finally:
        conn.close()


if __name__ == "__main__":
    main()
