"""The digest command: `kuzet digest [--date DAY] [--send] [--out FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kuzet import mail
from kuzet.cli import cli, db_option, open_store
from kuzet.settings import load_settings


@cli.command()
@click.option(
    "--date",
    "day",
    metavar="DAY",
    help="The Asia/Almaty day: YYYY-MM-DD (2000-01-01 to today), today or yesterday "
    "(default: yesterday).",
)
@click.option("--send", is_flag=True, help="Queue it in the outbox (once a day) and deliver.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the HTML digest to this file.",
)
@db_option()
def digest(day: str | None, send: bool, out: Path | None) -> None:
    """Build the daily digest: new and moved bills, then flagged stories by topic.

    Always writes var/digests/YYYY-MM-DD.html ($KUZET_VAR). With --send the digest is queued
    in the outbox (never twice for one day) and everything due is delivered: over SMTP, or
    as .eml files under var/outbox/ without a mail server. Today's digest (--date today) is
    partial, the day being not over: marked so, sent at most once a day, and it does not
    replace the day's digest, which the scheduler still sends the next morning.

    Example: kuzet digest --date 2026-11-30 --send
    """
    from kuzet.digest import parse_day, run_digest  # imported here: other commands need not
    from kuzet.digest_model import check_day  # load the digest's templates and images

    settings = load_settings()
    wanted = check_day(parse_day(day)) if day else None  # before any run is recorded
    with open_store() as store:
        result = run_digest(store, wanted, send=send, out=out, settings=settings)
        report = mail.send_pending(store, settings) if send else None
        message = store.queued_message(result.dedupe_key) if send else None
    what = (
        "quiet day"
        if result.quiet
        else (f"{result.stories} stories ({result.documents} documents), {result.bills} bills")
    )
    partial = " (partial: the day is not over)" if result.partial else ""
    click.echo(f"digest of {result.day}{partial}: {what}")
    click.echo(f"  HTML: {result.path}" + (f" and {result.out}" if result.out else ""))
    if not send:
        return
    if result.already_queued and result.partial:
        click.echo("  a partial digest of this day was queued before: not queued again")
    elif result.already_queued:
        click.echo("  the digest of this day was queued before: not queued again")
    elif result.queued_id:
        click.echo(f"  queued as outbox message #{result.queued_id}")
    if message:
        via = message["delivered_via"] or message["last_error"] or "waiting"
        click.echo(f"  outbox #{message['id']}: {message['status']} ({via})")
    assert report is not None
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.deferred or report.failed:
        sys.exit(1)
