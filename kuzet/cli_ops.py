"""Operations commands: `kuzet run` (the scheduler), `kuzet status`, `kuzet schedule`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from kuzet import ops
from kuzet.cli import cli, db_option, db_path, format_option
from kuzet.health import SourceHealth


@cli.command("run")
@click.option("--sample", is_flag=True, help="Crawl the offline sample sites instead.")
@click.option(
    "--once",
    is_flag=True,
    help="One full cycle (crawl every enabled source, annotate, source health, alerts, "
    "digest, send mail), then exit.",
)
@click.option(
    "--every",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="With --sample: run every job (each crawl, annotate, alerts, digest) every SECONDS "
    "instead of at its configured time, to watch the schedule work.",
)
@db_option()
def run_(sample: bool, once: bool, every: int | None) -> None:
    """Run the scheduler: every job at its time, until SIGTERM or Ctrl-C (or one cycle).

    Only one scheduler runs on a database; logs go to var/logs/kuzet.log (rotated) and
    stderr. `python scheduler.py` is the same command. Exit status 1 when a step of --once
    failed.

    Example: kuzet run   or   kuzet run --sample --once   or   kuzet run --sample --every 30
    """
    import scheduler

    if every is not None and (once or not sample):
        raise click.UsageError(
            "--every goes with --sample and without --once: it speeds up the schedule on the "
            "sample sites (real sources are crawled on their schedule in the sources file)"
        )
    path = db_path(create=True)
    if not once:
        scheduler.serve(path, sample=sample, every=every)
        return
    results = scheduler.serve_once(path, sample=sample)
    for result in results:
        for line in result.lines:
            click.echo(line)
    failed = [r.name for r in results if not r.ok]
    if failed:
        raise click.ClickException(f"failed steps: {', '.join(failed)} (see the log)")


@cli.command()
@format_option("table", "json", default="table")
@db_option()
def status(fmt: str) -> None:
    """Per source: last run, its result, documents in the last 7 days; stale sources marked.

    A source is stale after `[operations] stale_after_runs` crawls in a row that failed or
    fetched nothing. Also says whether a scheduler is running and how much mail waits.

    Example: kuzet status   or   kuzet status --format json
    """
    report = ops.status(db_path())
    if fmt == "json":
        data = {
            "scheduler_pid": report.scheduler_pid,
            "pending_mail": report.pending_mail,
            "sources": [_health_record(h) for h in report.sources],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    pid = report.scheduler_pid
    click.echo(f"scheduler: {f'running (pid {pid})' if pid else 'not running'}")
    click.echo(f"outbox: {report.pending_mail} messages waiting to be sent")
    click.echo(
        f"\n{'source':<14} {'state':<9} {'last run (Almaty)':<17} {'result':<8} "
        f"{'pages':>5} {'new':>4} {'7 days':>6}  note"
    )
    for h in report.sources:
        run = h.last_run or {}
        click.echo(
            f"{h.source:<14} {_state(h):<9} {ops.local_time(run.get('started_at')):<17} "
            f"{run.get('status', '-'):<8} {run.get('pages', 0):>5} {run.get('new_docs', 0):>4} "
            f"{h.docs_7d:>6}  {_note(h)}"
        )
    stale = [h.source for h in report.sources if h.stale and h.enabled]
    if stale:
        click.echo(f"\nSTALE: {', '.join(stale)} (check with: kuzet sources check {stale[0]})")


def _state(h: SourceHealth) -> str:
    if not h.enabled:
        return "disabled"
    return "STALE" if h.stale else h.status


def _note(h: SourceHealth) -> str:
    if h.bad_in_a_row:
        return f"{h.bad_in_a_row} bad in a row since {ops.local_time(h.bad_since)}"
    message = ((h.last_run or {}).get("message") or "").split("; ")[0]
    return message[:70]


def _health_record(h: SourceHealth) -> dict[str, Any]:
    return {
        "source": h.source,
        "name": h.name,
        "enabled": h.enabled,
        "state": _state(h),
        "stale": h.stale,
        "bad_in_a_row": h.bad_in_a_row,
        "bad_since": h.bad_since,
        "docs_7d": h.docs_7d,
        "last_run": h.last_run,
    }


@cli.command()
@db_option()
def schedule() -> None:
    """Print every job of the scheduler with its next fire time (Asia/Almaty).

    Jobs come from data/sources.toml (one crawl per enabled source, on its cron schedule)
    and data/settings.toml ([scheduler], [digest] time).

    Example: kuzet schedule
    """
    import scheduler

    now = datetime.now(scheduler.TZ)
    rows = scheduler.job_table(scheduler.build_scheduler(db_path(), now=now), now)
    click.echo(f"{'next run (Asia/Almaty)':<22} {'job':<20} what")
    for row in rows:
        when = row["next_run"].strftime("%Y-%m-%d %H:%M") if row["next_run"] else "never"
        click.echo(f"{when:<22} {row['id']:<20} {row['name']}")
    click.echo(f"{len(rows)} jobs", err=True)
