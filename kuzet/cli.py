"""The `kuzet` command line: thin commands over the library."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kuzet import search as searching
from kuzet import web
from kuzet.config import KINDS, LANGS, TOPICS, default_db_path
from kuzet.errors import FilterError, KuzetError, SearchSyntaxError
from kuzet.importer import import_file
from kuzet.schema_docs import markdown as schema_markdown
from kuzet.store import Store

F = Callable[..., Any]


class UsageProblem(click.ClickException):
    """A bad query or filter value: exit status 2, like other usage errors."""

    exit_code = 2


class KuzetGroup(click.Group):
    """Turns project exceptions into one-line errors instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SearchSyntaxError, FilterError) as exc:
            raise UsageProblem(str(exc)) from exc
        except KuzetError as exc:
            raise click.ClickException(str(exc)) from exc


def _remember_db(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta["kuzet.db"] = value


def db_option(envvar: str | None = None) -> Callable[[F], F]:
    """`--db PATH`, accepted before or after the command name."""
    return click.option(
        "--db",
        type=click.Path(path_type=Path),
        envvar=envvar,
        expose_value=False,
        callback=_remember_db,
        is_eager=True,
        help="Database file (default: $KUZET_DB, else var/kuzet.db).",
    )


def format_option(*choices: str, default: str) -> Callable[[F], F]:
    """`--format` with the given choices."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format.",
    )


def filter_options(f: F) -> F:
    """The search filters shared by `search` and `export`."""
    options = [
        click.option("--topic", help=f"Only documents flagged on ({', '.join(TOPICS)})."),
        click.option("--lang", help=f"Only this language ({', '.join(LANGS)})."),
        click.option("--source", help="Only this source id (see the sources table)."),
        click.option("--kind", help=f"Only this kind ({', '.join(KINDS)})."),
        click.option("--since", help="Dated on or after (YYYY-MM-DD or ISO 8601)."),
        click.option("--until", help="Dated on or before (YYYY-MM-DD or ISO 8601)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def db_path(*, create: bool = False) -> Path:
    """The database path chosen by --db / KUZET_DB / the default."""
    path = click.get_current_context().meta.get("kuzet.db")
    if path is None:
        path = default_db_path()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
    return Path(path)


def open_store(*, create: bool = False) -> Store:
    """Open the database chosen by --db / KUZET_DB / the default."""
    path = click.get_current_context().meta.get("kuzet.db")
    if path is None:
        path = default_db_path()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
    return Store.open(path, create=create)


@click.group(cls=KuzetGroup)
@db_option(envvar="KUZET_DB")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="kuzet")
def cli(verbose: bool) -> None:
    """Kuzet keeps watch on LGBT people's rights in Kazakhstan.

    Example: kuzet --db var/kuzet.db search 'ЛГБТ AND пропаганд*'
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@cli.command()
@db_option()
def migrate() -> None:
    """Create the database, or bring its schema up to date.

    Example: kuzet migrate --db var/kuzet.db
    """
    with open_store(create=True) as store:
        applied = store.applied_migrations()
        click.echo(
            f"{store.path}: schema up to date ({len(applied)} migrations, latest {applied[-1]})"
        )


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--source", help="Source id for lines that name none (default: the URL's host).")
@db_option()
def import_(file: Path, source: str | None) -> None:
    """Load documents from a JSON Lines file (url, title, text, lang, published_at, source).

    Bad lines are reported by number and skipped; the rest are loaded. The exit status is 1
    when any line was bad.

    Example: kuzet import ../shared/corpus/dev.jsonl
    """
    with open_store(create=True) as store:
        report = import_file(store, file, default_source=source)
    for error in report.errors:
        click.echo(error, err=True)
    c = report.counts
    click.echo(
        f"{file}: {c.total} documents read: {c.new} new, {c.changed} changed, "
        f"{c.unchanged} unchanged; {len(report.errors)} bad lines skipped"
    )
    if report.errors:
        sys.exit(1)


@cli.command()
@click.argument("query", required=False)
@filter_options
@click.option(
    "--sort",
    type=click.Choice(["rank", "date"]),
    default="rank",
    show_default=True,
    help="Best match first (bm25), or newest first.",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option(
    "--fold",
    is_flag=True,
    help="One hit per story: near-identical articles from several outlets shown once.",
)
@format_option("table", "json", "csv", default="table")
@db_option()
def search(
    query: str | None, sort: str, limit: int, fold: bool, fmt: str, **filters: str | None
) -> None:
    """Full-text search with FTS5 syntax: "phrases", AND/OR/NOT, prefix*, title:word.

    Without a query, lists the newest documents that pass the filters.

    Example: kuzet search '"ЛГБТ-пропаганда" OR discrimination' --lang ru --since 2026-01-01
    """
    with open_store() as store:
        rows = searching.find(store, query, sort=sort, limit=limit, fold=fold, **filters)
        if fmt == "json":
            searching.write_json(rows, sys.stdout)
        elif fmt == "csv":
            click.echo(searching.csv_text(rows, fold=fold), nl=False)
        else:
            _print_hits(list(rows))


def _print_hits(rows: list[dict[str, Any]]) -> None:
    bold, end = "\x1b[1;33m", "\x1b[0m"
    for row in rows:
        record = searching.result_record(row)
        date = (row.get("published_at") or row.get("fetched_at") or "")[:10]
        topics = ", ".join(record["topics"]) or "-"
        click.echo(
            click.style(f"#{row['id']}", bold=True)
            + f"  {date}  {row['source']}  {row['lang']}  {row['kind']}  [{topics}]"
        )
        click.echo("  " + searching.mark(row.get("title_hl"), bold, end))
        click.echo("  " + " ".join(searching.mark(row.get("snippet"), bold, end).split()))
        if row.get("folded") or row.get("also_sources"):
            also = ", ".join(record["also_sources"]) or "-"
            click.echo(f"  same story: {row['folded']} more hit(s) folded; also reported by {also}")
        click.echo(f"  {row['url']}\n")
    click.echo(f"{len(rows)} result{'s' if len(rows) != 1 else ''}", err=True)


@cli.command()
@click.argument("ref", metavar="ID")
@format_option("text", "json", default="text")
@db_option()
def show(ref: str, fmt: str) -> None:
    """Print one document (by id or URL) with its annotations and evidence.

    Example: kuzet show 42
    """
    with open_store() as store:
        doc = store.get_document(ref)
    if fmt == "json":
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for key in (
        "id",
        "url",
        "source",
        "kind",
        "lang",
        "published_at",
        "fetched_at",
        "version",
        "sha256",
        "rules_version",
    ):
        click.echo(f"{key:>13}: {doc[key] if doc[key] is not None else '-'}")
    click.echo(f"{'topics':>13}: {', '.join(doc['topics']) or '-'}")
    click.echo(f"\n{doc['title']}\n\n{doc['text']}\n")
    click.echo(f"Annotations ({len(doc['annotations'])}):")
    for a in doc["annotations"]:
        mark = "FLAGGED" if a["flagged"] else "below threshold"
        click.echo(f"  {a['topic']}: score {a['score']:.2f} ({mark}; rules {a['rules_version']})")
        for ev in a["evidence"]:
            click.echo(f"    - {json.dumps(ev, ensure_ascii=False)}")
    if doc["legal_refs"]:
        click.echo(f"Legal references ({len(doc['legal_refs'])}):")
        for ref in doc["legal_refs"]:
            attrs = ", ".join(f"{k}={v}" for k, v in ref["attrs"].items() if v is not None)
            click.echo(f"  {ref['label']}: {ref['text']!r} ({attrs})")
    if doc["versions"]:
        click.echo(f"Earlier versions ({len(doc['versions'])}):")
        for v in doc["versions"]:
            click.echo(
                f"  v{v['version']} fetched {v['fetched_at']}, superseded "
                f"{v['superseded_at']}: {v['title']}"
            )


@cli.command()
@click.argument("query", required=False)
@filter_options
@format_option("csv", "jsonl", default="jsonl")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write.")
@db_option()
def export(query: str | None, fmt: str, out: Path, **filters: str | None) -> None:
    """Write every document matching QUERY and the filters, with full text, to a file.

    Example: kuzet export 'дискриминац*' --topic anti_discrimination --format csv --out hits.csv
    """
    with open_store() as store:
        rows = searching.find(store, query, sort="date", limit=None, with_text=True, **filters)
        n = searching.export(rows, out, fmt, database=store.path)
    click.echo(f"{out}: {n} documents written", err=True)  # stdout may be the export itself


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback exposes the database.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@db_option()
def serve(host: str, port: int) -> None:
    """Run the read-only web UI (Datasette) on the database.

    Example: kuzet serve --port 8001   (then open http://127.0.0.1:8001/)
    """
    with open_store() as store:
        path = store.path
    web.serve(path, host=host, port=port)


@cli.command()
@click.option("--limit", type=click.IntRange(1), help="Annotate at most this many documents.")
@click.option("--since", help="Only documents dated on or after (YYYY-MM-DD).")
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Worker processes [default: 2 on a multi-core machine for 400 documents or more].",
)
@db_option()
def annotate(limit: int | None, since: str | None, workers: int | None) -> None:
    """Flag every document not yet annotated under the current rules (and fill search lemmas).

    Changing a rule file in data/ changes the rules version, so the next run re-annotates old
    documents without re-crawling.

    Example: kuzet annotate --since 2026-11-01
    """
    from kuzet import annotate as annotating

    with open_store() as store:
        since_utc = searching.make_filters(store, since=since).since
        total = annotating.pending_count(store, limit=limit, since=since_utc)
        with click.progressbar(
            length=total, label="annotating", file=sys.stderr, show_pos=True
        ) as bar:
            report = annotating.annotate(
                store, limit=limit, since=since_utc, progress=bar.update, workers=workers
            )
    counts = ", ".join(f"{t} {report.flagged.get(t, 0)}" for t in TOPICS)
    click.echo(
        f"annotated {report.annotated} documents (rules {report.rules_version}); flagged: {counts}"
    )


@cli.command()
@click.argument("text", required=False)
@click.option("--lang", type=click.Choice(LANGS), help="Language hint (detected anyway).")
def classify(text: str | None, lang: str | None) -> None:
    """Print the topics, scores, evidence and legal references of a text, as JSON.

    The text comes from the argument, or from standard input when it is absent or '-'.

    Example: echo 'Полицейские вымогали деньги у геев' | kuzet classify --lang ru
    """
    from kuzet.annotate import classify as run_classify

    if text is None or text == "-":
        text = sys.stdin.read()
    click.echo(json.dumps(run_classify(text, lang), ensure_ascii=False, indent=2))


@cli.command("eval")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of scores.")
@click.option("--quiet", is_flag=True, help="Scores only, without the misses and false alarms.")
def eval_(file: Path, as_json: bool, quiet: bool) -> None:
    """Score the topic flags against a labelled corpus (the format of dev.jsonl).

    Prints precision, recall and F1 per topic, macro-F1, the same per language, and then
    every miss and false alarm with its evidence. Bad lines are named and skipped.

    Example: kuzet eval ../shared/corpus/dev.jsonl --json
    """
    from kuzet import evaluate

    report = evaluate.evaluate(file)
    for error in report.errors:
        click.echo(error, err=True)
    summary = report.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(evaluate.format_summary(summary))
    if not quiet:
        click.echo("\n".join(evaluate.mistakes(report)))


@cli.command()
def schema() -> None:
    """Print the database schema documentation (Markdown), the source of docs/schema.md.

    Example: kuzet schema > docs/schema.md
    """
    click.echo(schema_markdown(), nl=False)


def main() -> None:
    """Entry point of the `kuzet` console script."""
    cli(prog_name="kuzet")


# Other commands (crawl, sources, archive, sample; outbox; bills, alerts; digest; run, status,
# schedule) register themselves on `cli`.
from kuzet import cli_bills, cli_crawl, cli_digest, cli_mail, cli_ops  # noqa: E402, F401
