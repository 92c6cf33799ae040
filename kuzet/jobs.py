"""The scheduler's jobs, and the steps of one full cycle (`kuzet run --once`).

Job functions are top-level and take plain values (the database path as a string, a source id,
a flag), so APScheduler can name them and a test can call them directly. Each step opens the
database itself and closes it when done; the scheduler runs one job at a time, so SQLite sees
one writer from Kuzet's side (a `kuzet import` by hand waits on the 30 s busy timeout).

`STOP` is set when the scheduler is asked to stop (SIGTERM, Ctrl-C): a job not yet started
does nothing, a running crawl is stopped (its subprocess terminated, its runs closed) and
annotation stops between batches, so nothing is left half-written.

The alerts and the digest keep their own books: `kuzet.alerts.check_alerts` and
`kuzet.digest.run_digest` each write their `runs` row (jobs `alerts`, `digest`) and queue their
messages under dedupe keys, so the steps here only call them and report what they did.

Which digests are due is read from the outbox, never from a job's own record: every day of the
catch-up window whose digest is not queued (`digest_days_due`). The `digest` job builds them at
08:00, the catch-up at start, and the `alerts` job every 15 minutes too, so a digest run that
APScheduler dropped (the worker busy past its misfire grace time) goes out within 15 minutes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kuzet import mail, ops
from kuzet.alerts import check_alerts, describe
from kuzet.config import TIMEZONE
from kuzet.crawl import CrawlReport, crawl
from kuzet.digest import digest_key, run_digest
from kuzet.documents import local_date
from kuzet.settings import Settings, load_settings
from kuzet.store import Store

log = logging.getLogger(__name__)
LOCAL = ZoneInfo(TIMEZONE)
#: Set when the scheduler is stopping; every job checks it.
STOP = threading.Event()
#: Documents annotated per `annotate` call, so a stop request waits at most one chunk.
ANNOTATE_CHUNK = 500
#: The steps of one full cycle, in order.
CYCLE = ("crawl", "annotate", "health", "alerts", "digest", "mail")


def stopping() -> bool:
    """True once the scheduler has been asked to stop."""
    return STOP.is_set()


class StepsFailedError(RuntimeError):
    """Raised by a job when some steps of its cycle failed (each was logged already)."""


# -- job functions (what the scheduler calls) ------------------------------------------------


def crawl_job(db: str, source: str, sample: bool = False) -> None:
    """Crawl one source, annotate what it brought, and report it if it has gone stale."""
    if stopping():
        return
    settings = load_settings()
    lines, report = crawl_step(Path(db), settings, names=(source,), sample=sample)
    _log_lines(lines)
    if stopping():
        return
    if any(r["new_docs"] or r["changed_docs"] for r in report.runs):
        _log_lines(annotate_step(Path(db)))
    notices = health_step(Path(db), settings, sources=[source])
    _log_lines(notices)
    if notices:
        _log_lines(mail_step(Path(db), settings))


def annotate_job(db: str) -> None:
    """Annotate every document still waiting (after a crash, or after rules changed)."""
    if not stopping():
        _log_lines(annotate_step(Path(db)))


def alerts_job(db: str, now: str | None = None) -> None:
    """Find new bill events and queue their alerts, build the digest of any day due (a digest
    run that was missed), then send every message that is due. Raises if a step failed, after
    the others ran.

    `now` (ISO 8601; default: the current time) is the clock that decides which days are due.
    """
    if stopping():
        return
    settings = load_settings()
    failed = []
    try:
        for name, step in (
            ("alerts", lambda: alerts_step(Path(db), settings)),
            ("digest", lambda: digest_step(Path(db), settings, now=_time(now), say_none=False)),
        ):
            try:
                _log_lines(step())
            except Exception as exc:  # a step boundary: log it, go on with the next one
                log.exception("step %s failed", name)
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
    finally:  # messages already queued (digests, retries) go out even if a step failed
        _log_lines(mail_step(Path(db), settings))
    if failed:
        raise StepsFailedError("; ".join(failed))


def digest_job(db: str, now: str | None = None) -> None:
    """Build and send the digest of every day that is due and not yet sent (catch-up).

    `now` (ISO 8601; default: the current time) is the clock that decides which days are due.
    """
    if stopping():
        return
    settings = load_settings()
    try:
        _log_lines(digest_step(Path(db), settings, now=_time(now)))
    finally:
        _log_lines(mail_step(Path(db), settings))


def catch_up_job(db: str, sources: list[str], sample: bool = False, now: str | None = None) -> None:
    """At start: one cycle in pipeline order, crawling only `sources` (those that missed their
    scheduled crawl while the scheduler was down). Raises if a step failed, after the rest ran.

    `now` (ISO 8601; default: the current time) is the digest step's clock, as in digest_job.
    """
    if stopping():
        return
    results = run_cycle(Path(db), sample=sample, sources=tuple(sources), now=_time(now))
    if stopping():
        log.info("catch-up cut short: Kuzet is stopping (it runs again at the next start)")
    else:
        steps = ", ".join(f"{r.name} {'ok' if r.ok else 'FAILED'}" for r in results)
        log.info("catch-up done: %s", steps)
    failed = [line for r in results if not r.ok and not stopping() for line in r.lines]
    if failed:
        raise StepsFailedError("; ".join(failed))


def _time(iso: str | None) -> datetime | None:
    return None if iso is None else datetime.fromisoformat(iso)


# -- steps (shared by the jobs and by one full cycle) -----------------------------------------


def crawl_step(
    db: Path, settings: Settings, *, names: tuple[str, ...] = (), sample: bool = False
) -> tuple[list[str], CrawlReport]:
    """Crawl these sources (or every enabled one) in a subprocess, with the time limit."""
    options = settings.scheduler
    report = crawl(
        db,
        names,
        sample=sample,
        time_limit=options["crawl_time_limit_seconds"] or None,
        kill_grace=options["crawl_kill_grace_seconds"],
        stop=STOP,
        log_output=True,
    )
    lines = [_run_line(run) for run in report.runs]
    if report.cut_short == "stopped":
        lines.append("crawl interrupted: Kuzet is stopping")
    return lines, report


def _run_line(run: dict[str, Any]) -> str:
    note = (run.get("message") or "").split("; ")[0][:160]
    return (
        f"crawl {run['source']}: {run['status']} via {run['method'] or '-'}, {run['pages']} "
        f"pages, {run['new_docs']} new, {run['changed_docs']} changed, {run['errors']} errors"
        + (f" ({note})" if note and run["status"] != "ok" else "")
    )


def annotate_step(db: Path) -> list[str]:
    """Annotate pending documents in chunks, stopping between chunks when asked to."""
    from kuzet.annotate import annotate, pending_count

    total = 0
    with Store.open(db) as store:
        while not stopping() and pending_count(store, limit=1):
            report = annotate(store, limit=ANNOTATE_CHUNK)
            total += report.annotated
            if report.annotated < ANNOTATE_CHUNK:
                break
    return [f"annotate: {total} documents annotated"] if total else []


def health_step(db: Path, settings: Settings, *, sources: list[str] | None = None) -> list[str]:
    """Queue a notice for each new stale-source incident (or recovery)."""
    with Store.open(db) as store:
        queued = ops.notify_stale(store, settings, sources=sources)
    return [f"health: queued #{outbox_id}: {subject}" for outbox_id, subject in queued]


def alerts_step(db: Path, settings: Settings) -> list[str]:
    """Check for new bills and stage events; queue one alert each (kuzet.alerts).

    `check_alerts` records its own `runs` row (job `alerts`); nothing is added here.
    """
    with Store.open(db) as store:
        report = check_alerts(store, settings)
    if not (report.queued or report.new_bills or report.new_events):
        head = f"alerts: nothing new ({report.bills} bills followed, {report.relevant} relevant)"
    else:
        head = f"alerts: {describe(report)}"
    return [head, *(f"alerts: {line}" for line in report.lines)]


def digest_step(
    db: Path, settings: Settings, *, now: datetime | None = None, say_none: bool = True
) -> list[str]:
    """Build and queue the digest of each day due and not yet queued (kuzet.digest).

    `run_digest` records its own `runs` row (job `digest`) and queues the message under
    `digest:YYYY-MM-DD` at most once, so a digest queued meanwhile (`kuzet digest --send` by
    hand) is reported, not queued again. With nothing due, one line says why (none with
    `say_none` false: the alerts job asks every 15 minutes).
    """
    now = (now or datetime.now(LOCAL)).astimezone(LOCAL)
    lines = []
    with Store.open(db) as store:
        due = digest_days_due(store, settings, now)
        for day in due:
            if stopping():
                break
            result = run_digest(store, day, send=True, settings=settings, now=now)
            what = "quiet day" if result.quiet else f"{result.items} entries"
            if result.queued_id is None:
                lines.append(f"digest {day}: {what}, already in the outbox")
            else:
                lines.append(f"digest {day}: {what}, queued #{result.queued_id}")
        if not due and say_none:
            lines.append(f"digest: nothing due ({why_no_digest_due(store, settings, now)})")
    return lines


def mail_step(db: Path, settings: Settings) -> list[str]:
    """Send every message that is due (SMTP, or .eml files without a mail server)."""
    with Store.open(db) as store:
        report = mail.send_pending(store, settings)
    for error in report.errors:
        log.warning("mail: %s", error)
    if not (report.sent or report.deferred or report.failed):
        return []
    return [
        f"mail: {report.sent} sent, {report.deferred} waiting for a retry, {report.failed} failed"
    ]


def digest_days_due(store: Store, settings: Settings, now: datetime) -> list[date]:
    """Days whose digest should have gone out by `now` and has not, oldest first.

    The digest of day D goes out on D+1 at `[digest] time` (Asia/Almaty). Due: every day of
    the catch-up window (the latest `[scheduler] digest_catch_up_days` days whose time has
    come) whose digest (`digest:YYYY-MM-DD`) is not in the outbox, so a gap is filled however
    a later day was sent; a partial digest (built before its day was over) does not count.
    Days before the database recorded anything (its first run or document) are not due: there
    was nothing to report yet. Cheap when nothing is due: one look-up per day of the window.
    """
    latest = _latest_due_day(settings, now)
    window = settings.scheduler["digest_catch_up_days"]
    days = [latest - timedelta(days=n) for n in reversed(range(window))]
    missing = [d for d in days if not store.is_queued(digest_key(d))]
    first = _first_day(store) if missing else None
    return [d for d in missing if first is not None and d >= first]


def why_no_digest_due(store: Store, settings: Settings, now: datetime) -> str:
    """Why `digest_days_due` finds nothing at `now`, in a few words for the log."""
    latest = _latest_due_day(settings, now)
    at = settings.digest["time"]
    first = _first_day(store)
    if first is None:
        return "the database holds nothing yet"
    if latest < first:
        return (
            f"Kuzet holds nothing from before {first}; the digest of {first} goes out on "
            f"{first + timedelta(days=1)} at {at}"
        )
    return (
        f"the digest of {latest} is in the outbox; the next, of {latest + timedelta(days=1)}, "
        f"goes out on {latest + timedelta(days=2)} at {at}"
    )


def _latest_due_day(settings: Settings, now: datetime) -> date:
    """The latest day whose digest time has come by `now` (Asia/Almaty)."""
    now = now.astimezone(LOCAL)
    hour, minute = (int(x) for x in settings.digest["time"].split(":"))
    return now.date() - timedelta(days=1 if now.time() >= time(hour, minute) else 2)


def _first_day(store: Store) -> date | None:
    """The Asia/Almaty day the database first recorded something, or None."""
    return local_date(store.first_record_at())


# -- one full cycle ---------------------------------------------------------------------------


@dataclass
class StepResult:
    """How one step of a cycle went."""

    name: str
    ok: bool
    lines: list[str] = field(default_factory=list)


def run_cycle(
    db: Path,
    *,
    sample: bool = False,
    settings: Settings | None = None,
    steps: tuple[str, ...] = CYCLE,
    sources: tuple[str, ...] | None = None,
    now: datetime | None = None,
) -> list[StepResult]:
    """One full cycle: the crawl of `sources` (default: every enabled one; none when empty),
    annotation, source health, alerts, the digest and sending, in that order. A failing step
    is logged and reported; the next steps still run. `now` (default: the current time) is
    the clock of the digest step: which days are due."""
    settings = settings or load_settings()

    def crawling() -> list[str]:
        if sources == ():
            return ["crawl: no source missed its scheduled crawl"]
        return crawl_step(db, settings, names=sources or (), sample=sample)[0]

    actions: dict[str, Callable[[], list[str]]] = {
        "crawl": crawling,
        "annotate": lambda: annotate_step(db) or ["annotate: nothing to annotate"],
        "health": lambda: health_step(db, settings) or ["health: no new stale source"],
        "alerts": lambda: alerts_step(db, settings),
        "digest": lambda: digest_step(db, settings, now=now),
        "mail": lambda: mail_step(db, settings) or ["mail: nothing due"],
    }
    results = []
    for name in steps:
        if stopping():
            results.append(StepResult(name, False, [f"{name}: skipped, Kuzet is stopping"]))
            continue
        try:
            lines = actions[name]()
        except Exception as exc:  # a step boundary: report it, go on with the next step
            log.exception("step %s failed", name)
            results.append(
                StepResult(name, False, [f"{name}: FAILED: {type(exc).__name__}: {exc}"])
            )
            continue
        _log_lines(lines)
        results.append(StepResult(name, True, lines))
    return results


def _log_lines(lines: list[str]) -> None:
    for line in lines:
        log.info("%s", line)
