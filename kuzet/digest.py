"""`kuzet digest`: what was flagged on one day, grouped, deduplicated, readable in two minutes.

Which documents belong to a day: those Kuzet *first stored* during that Asia/Almaty day
(documents.first_seen_at, 00:00 to 24:00 local time) and flagged on some topic by the NLP
stage (documents.topics). Each entry shows the publication date the source gave. A document
published long ago but found today is news to the reader, so it is in today's digest; a
document stored today but annotated only tomorrow is counted in a note ("not yet annotated")
and is not listed. Bills: relevant ones (a topic, or tracked by hand) first seen that day are
*new*; those with a stage event recorded that day have *moved*.

Near-identical articles (kuzet.clusters) are one story: the entry shows the member with the
most evidence and names the other outlets. Within a topic, stories are ordered by score, then
by publication date (newest first); a story flagged on several topics is listed in full under
the first and referred to under the others.

`run_digest` is the public entry point (the scheduler calls it): it always writes
`$KUZET_VAR/digests/YYYY-MM-DD.html`, and with `send=True` queues the e-mail (key
`digest:YYYY-MM-DD`) in the outbox once; building a day again never queues it twice.

A digest of a day that is not over yet (today, Asia/Almaty: `kuzet digest --date today`) is
*partial*: its subject and heading say so, and it is queued under a key of its own,
`digest:partial:YYYY-MM-DD`, at most once a day. It never stands for that day's digest: the
full one is still built and sent once the day is over (see `kuzet.jobs.digest_days_due`).
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kuzet import clusters, digest_chart
from kuzet import digest_render as r
from kuzet.config import TIMEZONE, var_dir
from kuzet.digest_model import Digest, check_day, collect, day_bounds
from kuzet.errors import ConfigError, DigestError, OutputError
from kuzet.mail import InlineImage, Outgoing, queue
from kuzet.settings import Settings, load_settings
from kuzet.store import Store

log = logging.getLogger(__name__)
TZ = ZoneInfo(TIMEZONE)
__all__ = ["DigestResult", "day_bounds", "digest_key", "parse_day", "run_digest"]


def digest_key(day: date, *, partial: bool = False) -> str:
    """The outbox dedupe key of the digest of `day`: `digest:YYYY-MM-DD`, or
    `digest:partial:YYYY-MM-DD` for one built before the day was over."""
    return f"digest:{'partial:' if partial else ''}{day.isoformat()}"


class PartialDigest(Digest):
    """The digest of a day not over yet: its subject and heading say it is partial."""

    @property
    def subject(self) -> str:
        return f"[partial, up to {self.built_at[-5:]}] {super().subject}"

    @classmethod
    def of(cls, digest: Digest) -> PartialDigest:
        """`digest`, marked partial (its heading names the time it was built)."""
        partial = cls(**{f.name: getattr(digest, f.name) for f in fields(digest)})
        partial.day_label = f"Partial digest: {digest.day_label}, up to {digest.built_at[-5:]}"
        return partial


@dataclass
class DigestResult:
    """What `run_digest` built, wrote and queued."""

    day: date
    #: The HTML file written under $KUZET_VAR/digests/.
    path: Path
    #: Outbox id of the queued message; None when not sending or queued before.
    queued_id: int | None
    #: Entries listed: stories plus new and moved bills.
    items: int
    quiet: bool
    out: Path | None = None
    already_queued: bool = False
    #: Built before the day was over (queued under `digest:partial:YYYY-MM-DD`).
    partial: bool = False
    #: The outbox key it is (or would be) queued under.
    dedupe_key: str = ""
    subject: str = ""
    stories: int = 0
    documents: int = 0
    bills: int = 0
    chart: list[digest_chart.TopicSeries] = field(default_factory=list)
    text: str = ""
    html: str = ""


def parse_day(value: str, *, now: datetime | None = None) -> date:
    """`YYYY-MM-DD`, `today` or `yesterday` (Asia/Almaty) as a date; DigestError otherwise."""
    today = (now or datetime.now(UTC)).astimezone(TZ).date()
    keyword = value.strip().lower()
    if keyword in ("today", "yesterday"):
        return today - timedelta(days=0 if keyword == "today" else 1)
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise DigestError(
            f"--date {value!r} is not a date (expected YYYY-MM-DD, today or yesterday)"
        ) from exc


def run_digest(
    store: Store,
    day: date | None = None,
    *,
    send: bool = False,
    out: Path | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> DigestResult:
    """Build the digest of one Asia/Almaty day (default: yesterday), write it, maybe queue it.

    Always writes `$KUZET_VAR/digests/YYYY-MM-DD.html` (and `out` if given); with `send`,
    queues the message (kind `digest`, key `digest:YYYY-MM-DD`) unless that day's digest was
    queued before. A day not over at `now` (today) gives a partial digest, queued under
    `digest:partial:YYYY-MM-DD` (once a day). Raises DigestError for a day in the future,
    ConfigError for unusable settings, OutputError when a file cannot be written (nothing is
    queued then).
    """
    settings = settings or load_settings()
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    today = now.astimezone(TZ).date()
    day = check_day(day or today - timedelta(days=1))
    if day > today:
        raise DigestError(f"{day} is in the future (today is {today} in {TIMEZONE})")
    _check_settings(settings, send=send)
    run_id = store.start_run("digest")
    try:
        result = _build(store, day, settings, now, out=out, send=send)
    except BaseException as exc:
        store.finish_run(run_id, "failed", message=f"{day}: {type(exc).__name__}: {exc}"[:500])
        raise
    queued = f"queued #{result.queued_id}" if result.queued_id else "not queued"
    what = f"{day}{' (partial)' if result.partial else ''}: {result.items} entries"
    store.finish_run(run_id, "ok", pages=result.items, message=f"{what}, {queued}")
    return result


def _build(
    store: Store,
    day: date,
    settings: Settings,
    now: datetime,
    *,
    out: Path | None,
    send: bool,
) -> DigestResult:
    clusters.cluster_pending(store)
    digest = collect(store, day, settings, now)
    partial = digest.partial_day
    if partial:
        digest = PartialDigest.of(digest)
    key = digest_key(day, partial=partial)
    png = digest_chart.draw(digest.chart, digest.chart_days) if not digest.quiet else b""
    cid = f"chart-{day.isoformat()}@kuzet"
    data_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    html_file = r.render("digest.html", d=digest, chart_src=data_uri)
    html_mail = r.render("digest.html", d=digest, chart_src=f"cid:{cid}")
    text = r.render("digest.txt", d=digest)
    path = var_dir() / "digests" / f"{day.isoformat()}.html"
    write_file(path, html_file, make_dirs=True)
    if out is not None:
        write_file(out, html_file)
    queued_id, already = None, False
    if send:
        message = Outgoing(
            kind="digest",
            dedupe_key=key,
            recipients=list(settings.digest["to"]),
            subject=digest.subject,
            text=text,
            html=html_mail,
            images=[InlineImage(cid=cid, data=png, filename=f"digest-{day}.png")] if png else [],
        )
        queued_id = queue(store, message, settings)
        already = queued_id is None
        if already:
            what = "a partial digest" if partial else "the digest"
            log.info("%s of %s was queued before; not queued again", what, day)
    return DigestResult(
        day=day,
        path=path,
        queued_id=queued_id,
        items=digest.items,
        quiet=digest.quiet,
        out=out,
        already_queued=already,
        partial=partial,
        dedupe_key=key,
        subject=digest.subject,
        stories=digest.stories,
        documents=digest.documents,
        bills=len(digest.bills),
        chart=digest.chart,
        text=text,
        html=html_file,
    )


def _check_settings(settings: Settings, *, send: bool) -> None:
    template = settings.digest["archive_url"]
    if template:
        sample = {"id": 1, "version": 1, "warc_file": "a", "warc_offset": 0, "url": "u"}
        try:
            filled = template.format(**sample)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"[digest] archive_url {template!r}: unknown placeholder {exc} (use {{id}}, "
                "{version}, {warc_file}, {warc_offset}, {url})"
            ) from exc
        if r.safe_url(filled) is None:
            raise ConfigError(f"[digest] archive_url {template!r} must be an http(s) URL")
    if send and settings.mail["host"] and not settings.digest["to"]:
        raise ConfigError(
            "the digest has no recipients: set [digest] to in the settings file or KUZET_DIGEST_TO"
        )


def write_file(path: Path, content: str, *, make_dirs: bool = False) -> None:
    """Write `content` to `path` atomically (a complete file or none); OutputError on failure."""
    directory = path.parent
    if make_dirs:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {directory}: {exc.strerror or exc}") from exc
    if not directory.is_dir():
        raise OutputError(f"cannot write {path}: directory {directory} does not exist")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)  # an ordinary file, not mkstemp's private one
        Path(tmp).replace(path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
