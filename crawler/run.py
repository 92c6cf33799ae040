"""Run a crawl of some sources in this process: `python -m crawler.run --db PATH [SOURCE…]`.

`kuzet crawl` starts it as a subprocess (the Twisted reactor cannot be restarted in one
process); each source gets its own crawler, spider and `runs` row. With `--parent-pid PID`
(as `kuzet crawl` and the scheduler start it) it stops when that process is gone, however it
went (kuzet.lifeline).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.adilet import AdiletSpider
from crawler.spiders.akorda import AkordaSpider
from crawler.spiders.base import SourceSpider
from crawler.spiders.legalacts import LegalactsSpider
from crawler.spiders.news import NewsSpider
from crawler.spiders.parliament import ParliamentSpider
from kuzet.config import Source, SourcesConfig, load_sources
from kuzet.lifeline import PARENT_OPTION, die_with_parent

SPIDERS: dict[str, type[SourceSpider]] = {
    "news": NewsSpider,
    "adilet": AdiletSpider,
    "legalacts": LegalactsSpider,
    "parliament": ParliamentSpider,
    "akorda": AkordaSpider,
}
#: Sample mode: the sample server is local, so no waiting, short timeouts, one retry.
SAMPLE_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_START_DELAY": 0,
    "AUTOTHROTTLE_MAX_DELAY": 0.5,
    "DOWNLOAD_TIMEOUT": 2,
    "RETRY_TIMES": 1,
    "KUZET_RETRY_BASE_DELAY": 0.1,
    "KUZET_RETRY_MAX_DELAY": 1.5,
}


def crawl_settings(
    config: SourcesConfig, db: Path, sample_proxy: str | None = None, log_level: str = "WARNING"
) -> Settings:
    """Settings for a crawl into `db`; with `sample_proxy`, aimed at the sample server."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("KUZET_DB", str(db), priority="cmdline")
    settings.set("USER_AGENT", config.crawler.agent(), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if sample_proxy:
        settings.set("KUZET_SAMPLE_PROXY", sample_proxy, priority="cmdline")
        settings.setdict(SAMPLE_SETTINGS, priority="cmdline")
    return settings


def spider_for(source: Source) -> type[SourceSpider]:
    """The spider class for a source, with its per-source settings (extra CA certificate)."""
    cls = SPIDERS[source.kind]
    if not source.ca_cert:
        return cls
    custom = {
        "DOWNLOADER_CLIENTCONTEXTFACTORY": "crawler.tls.ExtraCAContextFactory",
        "KUZET_CA_CERT": source.ca_cert,
        "DOWNLOAD_VERIFY_CERTIFICATES": True,
    }
    return type(f"{cls.__name__}_{source.id}", (cls,), {"custom_settings": custom})


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and crawl."""
    parser = argparse.ArgumentParser(prog="python -m crawler.run")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--sample-proxy", help="Fetch everything through the sample server.")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        PARENT_OPTION, type=int, metavar="PID", help="Stop when this process (the parent) is gone."
    )
    parser.add_argument(
        "--parent-grace",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="After the parent is gone, how long a clean stop may take before exiting at once.",
    )
    parser.add_argument("sources", nargs="*")
    args = parser.parse_args(argv)
    if args.parent_pid is not None:
        die_with_parent(args.parent_pid, args.parent_grace)
    config = load_sources()
    settings = crawl_settings(config, args.db, args.sample_proxy, args.log_level)
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(args.log_level)
    for source in config.select(args.sources):
        process.crawl(spider_for(source), source=source)
    process.start()


if __name__ == "__main__":
    main()
