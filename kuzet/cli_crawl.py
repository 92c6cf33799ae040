"""The crawler's commands: `kuzet crawl`, `kuzet sources`, `kuzet archive`, `kuzet sample`."""

from __future__ import annotations

import logging
import re
import sys
import time
from contextlib import nullcontext
from typing import Any

import click

from kuzet import crawl as crawling
from kuzet.archive import read_record
from kuzet.checks import check_source
from kuzet.cli import cli, db_option, db_path, open_store
from kuzet.config import load_sources


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--sample", is_flag=True, help="Crawl the offline sample sites instead.")
@click.option(
    "--step",
    type=click.IntRange(0),
    default=0,
    help="With --sample: the sites as they are at this step of the bill sequence.",
)
@db_option()
def crawl(sources: tuple[str, ...], sample: bool, step: int) -> None:
    """Crawl the named sources (default: every enabled one) and print one line per source.

    With --sample, a sample server is started on a free loopback port and every source is
    fetched from it; --step N shows the sample sites as they are at step N of the bill
    sequence (data/sample/steps/). Pages that fail are recorded in the runs table; the crawl
    goes on.

    Example: kuzet crawl --sample   or   kuzet crawl adilet   or   kuzet crawl --sample --step 3
    """
    with open_store(create=True) as store:
        path = store.path
    verbose = logging.getLogger().level <= logging.INFO
    report = crawling.crawl(
        path, sources, sample=sample, log_level="INFO" if verbose else "CRITICAL", step=step
    )
    _print_runs(report.runs)


def _print_runs(runs: list[dict[str, Any]]) -> None:
    click.echo(f"{'source':<14} {'status':<8} {'method':<8} pages  new  chg  err  warn  note")
    for r in runs:
        note = (r.get("message") or "").split("; ")[0][:90]
        click.echo(
            f"{r['source']:<14} {r['status']:<8} {r['method'] or '-':<8} {r['pages']:>5} "
            f"{r['new_docs']:>4} {r['changed_docs']:>4} {r['errors']:>4} {r['warnings']:>5}  {note}"
        )


@cli.group(invoke_without_command=True)
@db_option()
@click.pass_context
def sources(ctx: click.Context) -> None:
    """List the sources in data/sources.toml with their last crawl; `check` probes them.

    Example: kuzet sources   or   kuzet sources check vlast adilet
    """
    if ctx.invoked_subcommand is not None:
        return
    path = db_path()
    for row in crawling.sources_overview(path):
        s, run = row["source"], row["last_run"]
        state = "enabled " if s.enabled else "disabled"
        last = "never crawled"
        if run:
            last = (
                f"{run['status']} via {run['method'] or '-'} at {(run['finished_at'] or '')[:16]}"
                f": {run['pages']} pages, {run['new_docs']} new, {run['changed_docs']} changed, "
                f"{run['errors']} errors, {run['warnings']} warnings"
            )
        click.echo(f"{s.id:<14} {s.kind:<10} {state} {','.join(s.langs):<9} {last}")


@sources.command("check")
@click.argument("names", nargs=-1)
@click.option("--sample", is_flag=True, help="Check against the offline sample sites.")
def sources_check(names: tuple[str, ...], sample: bool) -> None:
    """Fetch each source's entry page once: did it answer, do its selectors still match?

    Example: kuzet sources check kaztag
    """
    config = load_sources()
    selected = config.select(list(names))
    server = crawling.sample_server() if sample else nullcontext(None)
    bad = 0
    with server as proxy:
        for source in selected:
            results = check_source(source, config.crawler.agent(), proxy)
            bad += not any(r.answered and r.matched for r in results)
            for r in results:
                mark = "ok  " if r.answered and r.matched else "FAIL"
                click.echo(f"{mark} {r.source:<14} {r.detail}  {r.url}")
    if bad:
        raise click.ClickException(f"{bad} of {len(selected)} sources gave nothing usable")


@cli.group()
def archive() -> None:
    """The evidence archive: the HTTP responses documents were read from, in WARC files.

    Example: kuzet archive show 42
    """


@archive.command("show")
@click.argument("ref", metavar="ID[@VERSION]")
@click.option("--raw", is_flag=True, help="Write only the archived body bytes to stdout.")
@db_option()
def archive_show(ref: str, raw: bool) -> None:
    """Print the archived response of a document (by id or URL; @N for an earlier version).

    Example: kuzet archive show 42@1
    """
    with open_store() as store:
        where = store.archive_ref(ref)
    record = read_record(where["warc_file"], where["warc_offset"])
    if raw:
        sys.stdout.buffer.write(record["body"])
        sys.stdout.buffer.flush()
        return
    same = record["payload_sha256"] == where["payload_sha256"]
    click.echo(safe_text(f"document {where['id']}: {where['url']}"))
    click.echo(f"archive: {record['file']} at offset {record['offset']}")
    verdict = "matches" if same else "DIFFERS FROM"
    click.echo(f"payload SHA-256: {record['payload_sha256']} ({verdict} the database)")
    for key, value in record["warc_headers"]:
        click.echo(safe_text(f"{key}: {value}"))
    click.echo(f"\nHTTP {record['status']}")
    for key, value in record["http_headers"]:
        click.echo(safe_text(f"{key}: {value}"))
    click.echo("")
    click.echo(safe_text(_decode(record["body"], record["http_headers"])))


def _decode(body: bytes, headers: list[tuple[str, str]]) -> str:
    """The body in its declared charset if Python knows it as a text encoding, else UTF-8
    (`utf8mb4`, typos); undecodable bytes replaced."""
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    declared = ctype.partition("charset=")[2].split(";")[0].strip().strip("\"'")
    try:
        return body.decode(declared or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """Archived text made safe for a terminal: control characters other than newline and tab
    (escape sequences, carriage returns) shown as `\\xNN`."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@cli.group()
def sample() -> None:
    """The offline sample sites that `make demo` and the tests crawl.

    Example: kuzet sample serve --port 8765
    """


@sample.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--step", type=click.IntRange(0), default=0, help="Step of the bill sequence.")
def sample_serve(port: int, step: int) -> None:
    """Serve data/sample/sites on 127.0.0.1 until interrupted (also usable as an HTTP proxy).

    Example: kuzet sample serve   (then open http://127.0.0.1:8765/vlast.kz/rss)
    """
    with crawling.sample_server(port, step) as url:
        click.echo(f"sample sites at {url}/<host>/<path>, or use {url} as HTTP proxy; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            click.echo("stopped")
