"""The bill commands: `kuzet bills list|show|track|untrack` and `kuzet alerts`."""

from __future__ import annotations

import json

import click

from kuzet import alerts as alerting
from kuzet import bill_report
from kuzet.bills import RANK, title_of
from kuzet.cli import cli, db_option, format_option, open_store
from kuzet.settings import load_settings


@cli.group(invoke_without_command=True)
@db_option()
@click.pass_context
def bills(ctx: click.Context) -> None:
    """Bills followed through their stages: list them, show one's timeline, track by hand.

    Bills are derived from the stored documents by `kuzet alerts`.

    Example: kuzet bills list --format json   or   kuzet bills show kurultai-3101
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_)


@bills.command("list")
@click.option(
    "--all", "everything", is_flag=True, help="Every bill, not only relevant or tracked ones."
)
@click.option("--stage", type=click.Choice(list(RANK)), help="Only bills at this stage.")
@format_option("table", "json", default="table")
@db_option()
def list_(everything: bool = False, stage: str | None = None, fmt: str = "table") -> None:
    """List bills relevant to Kuzet's topics or tracked by hand, latest move first.

    Example: kuzet bills list --all --stage first_reading
    """
    with open_store() as store:
        rows = bill_report.list_bills(store, everything=everything, stage=stage)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no bills yet: 'kuzet alerts' derives them from the stored documents", err=True)
        return
    click.echo("\n".join(bill_report.table_lines(rows)))
    click.echo(f"{len(rows)} bill{'s' if len(rows) != 1 else ''}", err=True)


@bills.command()
@click.argument("ref", metavar="ID")
@format_option("text", "json", default="text")
@db_option()
def show(ref: str, fmt: str) -> None:
    """Print one bill (by id, key or any identifier) with its timeline, documents and news.

    Example: kuzet bills show Z2500000250
    """
    with open_store() as store:
        details = bill_report.bill_details(store, ref)
    if fmt == "json":
        click.echo(json.dumps(details, ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(bill_report.detail_lines(details)))


@bills.command()
@click.argument("ref", metavar="ID")
@db_option()
def track(ref: str) -> None:
    """Follow a bill by hand, whatever its topics: its next stages are alerted.

    Example: kuzet bills track kurultai-3002
    """
    _set_tracked(ref, True)


@bills.command()
@click.argument("ref", metavar="ID")
@db_option()
def untrack(ref: str) -> None:
    """Stop following a bill by hand (it stays followed if its topics make it relevant).

    Example: kuzet bills untrack kurultai-3002
    """
    _set_tracked(ref, False)


def _set_tracked(ref: str, tracked: bool) -> None:
    with open_store() as store:
        bill = store.find_bill(ref)
        changed = store.set_tracked(bill["id"], tracked)
    states = {
        True: ("now tracked", "was already tracked"),
        False: ("no longer tracked", "was not tracked"),
    }
    state = states[tracked][0 if changed else 1]
    click.echo(f"bill {bill['key']} {state}: {title_of(bill)}")


@cli.command()
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would be queued.")
@db_option()
def alerts(dry_run: bool) -> None:
    """Derive bills and their stages from the stored documents; queue an alert for each new one.

    One e-mail for a new relevant bill, one for each new stage of a relevant or tracked bill,
    each exactly once; `kuzet outbox send` delivers them.

    Example: kuzet alerts --dry-run   then   kuzet alerts && kuzet outbox send
    """
    settings = load_settings()
    with open_store() as store:
        report = alerting.check_alerts(store, settings, dry_run=dry_run)
    for line in report.lines:
        click.echo(line, err=line.startswith("warning: "))
    click.echo(alerting.describe(report))
