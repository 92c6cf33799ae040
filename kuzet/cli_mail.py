"""The outbox commands: `kuzet outbox list|show|send|retry`."""

from __future__ import annotations

import json
import sys

import click

from kuzet import mail
from kuzet.cli import cli, db_option, format_option, open_store
from kuzet.errors import NotFoundError
from kuzet.settings import load_settings


@cli.group(invoke_without_command=True)
@db_option()
@click.pass_context
def outbox(ctx: click.Context) -> None:
    """E-mail waiting to be sent, and sent: list, show, send what is due, retry failures.

    Without a mail server configured (KUZET_SMTP_HOST), sending writes .eml files under
    var/outbox/ (KUZET_OUTBOX_DIR).

    Example: kuzet outbox list --status pending   or   kuzet outbox send
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_)


@outbox.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "sent", "failed", "all"]),
    default="all",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@format_option("table", "json", default="table")
@db_option()
def list_(status: str = "all", limit: int = 50, fmt: str = "table") -> None:
    """List messages, newest first.

    Example: kuzet outbox list --status failed --format json
    """
    with open_store() as store:
        rows = store.outbox_rows(None if status == "all" else status, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        when = r["sent_at"] or r["next_attempt_at"] or r["created_at"]
        click.echo(
            f"#{r['id']:<5} {r['status']:<8} {r['kind']:<7} {when[:19]}  "
            f"tries {r['attempts']}  to {', '.join(r['recipients']) or '-'}"
        )
        click.echo(f"       {r['subject']}")
        if r["last_error"] and r["status"] != "sent":
            click.echo(f"       last error: {r['last_error']}")
    click.echo(f"{len(rows)} message{'s' if len(rows) != 1 else ''}", err=True)


@outbox.command()
@click.argument("message_id", type=int, metavar="ID")
@db_option()
def show(message_id: int) -> None:
    """Print one queued message exactly as it is (or was) sent.

    Example: kuzet outbox show 3
    """
    with open_store() as store:
        row = store.outbox_message(message_id)
    if row is None:
        raise NotFoundError(f"no outbox message {message_id}")
    click.echo(row["raw"].decode("utf-8", "replace").replace("\r\n", "\n"), nl=False)


@outbox.command()
@click.option("--limit", type=click.IntRange(1), help="Send at most this many messages.")
@db_option()
def send(limit: int | None) -> None:
    """Deliver every message that is due; failures stay queued for a later retry.

    Exit status 1 if any message could not be delivered (the reason is printed).

    Example: KUZET_SMTP_HOST=mail.example.org kuzet outbox send
    """
    settings = load_settings()
    with open_store() as store:
        report = mail.send_pending(store, settings, limit=limit)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(
        f"outbox ({mail.outbox_path_note(settings)}): {report.sent} sent, "
        f"{report.deferred} waiting for a retry, {report.failed} failed"
    )
    if report.deferred or report.failed:
        sys.exit(1)


@outbox.command()
@click.argument("ids", nargs=-1, type=int)
@db_option()
def retry(ids: tuple[int, ...]) -> None:
    """Make failed messages (or the given ones) due again now; `send` then delivers them.

    Example: kuzet outbox retry   or   kuzet outbox retry 4 7
    """
    with open_store() as store:
        for message_id in ids:
            row = store.outbox_message(message_id)
            if row is None:
                raise NotFoundError(f"no outbox message {message_id}")
            if row["status"] == "sent":
                raise NotFoundError(f"outbox message {message_id} was sent already")
        n = store.retry_messages(list(ids) or None)
    click.echo(f"{n} message{'s' if n != 1 else ''} queued again")
