"""Kuzet's scheduler: every job of the pipeline on APScheduler 3.x, left running for months.

`python scheduler.py [--db PATH] [--sample] [--once] [--every SECONDS]` is `kuzet run`.
`build_scheduler()` returns the configured, unstarted BlockingScheduler (Asia/Almaty): one crawl
job per enabled source on its cron schedule from data/sources.toml, annotation, the alerts check
(which also builds any digest due and sends what is due) and the daily digest, from
data/settings.toml `[scheduler]` and `[digest]`. With `every` (`--every`, sample sites only)
every job runs every so many seconds instead: the whole schedule, accelerated, to watch it work.

Jobs run one at a time (a thread pool of one worker): SQLite has one writer at a time, and a
crawl is a subprocess that writes too. On start the scheduler takes a lock next to the database
(one scheduler per database), stops a crawl that outlived a killed scheduler, closes runs a dead
process left open, and catches up with one cycle in pipeline order: every source whose
scheduled crawl was missed is crawled, then anything pending is annotated, stale sources
reported, alerts checked, the digests missed while it was down sent, and mail delivered.
SIGTERM or Ctrl-C stops it cleanly: the running job finishes (a crawl's subprocess is stopped
and its runs closed) and nothing else starts.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from kuzet import jobs, ops
from kuzet.config import TIMEZONE, SourcesConfig, default_db_path, load_sources
from kuzet.errors import ConfigError
from kuzet.job_events import JobListener, log_each_run_once
from kuzet.logs import close_logging, setup_logging
from kuzet.settings import Settings, load_settings
from kuzet.store import Store

log = logging.getLogger("kuzet.scheduler")
TZ = ZoneInfo(TIMEZONE)
#: Where the interval jobs' grid starts: every process (the scheduler, `kuzet schedule`) counts
#: the same fire times from it, e.g. every 15 min at :00, :15, :30 and :45 local time.
GRID_ORIGIN = datetime(2025, 1, 1, tzinfo=TZ)
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 = Sunday


# -- building ------------------------------------------------------------------------------


def cron_trigger(expr: str, *, where: str = "schedule") -> CronTrigger:
    """A trigger for a five-field crontab expression, read as cron reads it, in Asia/Almaty.

    APScheduler 3 numbers weekdays from Monday = 0; cron from Sunday = 0 (7 is Sunday too), so
    the weekday field is translated to names. Cron runs a job restricted by both day of month
    and day of week on either day, APScheduler only on both: such an expression is refused.
    """
    minute, hour, day, month, weekday = expr.split()
    if day != "*" and weekday != "*":
        raise ConfigError(
            f"{where}: schedule {expr!r} restricts both the day of the month and the day of "
            "the week (cron runs on either, this scheduler only on both): use one of them"
        )
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_weekdays(weekday),
            timezone=TZ,
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: schedule {expr!r}: {exc}") from exc


def _weekdays(field: str) -> str:
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            low, high = (int(x) for x in span.split("-", 1))
        else:
            low = int(span)
            high = 6 if step else low
        if not (0 <= low <= high <= 7) or (step and int(step) < 1):
            raise ValueError(f"bad day of week {part!r} (0-7, Sunday is 0 or 7)")
        days.update(d % 7 for d in range(low, high + 1, int(step or 1)))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def build_scheduler(
    db: Path | str | None = None,
    *,
    sample: bool = False,
    settings: Settings | None = None,
    sources: SourcesConfig | None = None,
    now: datetime | None = None,
    catch_up: bool = False,
    every: int | None = None,
) -> BlockingScheduler:
    """The configured, unstarted scheduler with every job.

    The interval jobs (`alerts`, `annotate`) fire on a fixed grid counted from GRID_ORIGIN (local
    midnight), the same in every process. `now` (default: the current time) anchors only the
    accelerated schedule (`every`) and the catch-up. With `catch_up`, a `catch-up`
    job runs as soon as the scheduler starts: one cycle in pipeline order, crawling only the
    sources whose scheduled crawl was missed (read from the database; see `missed_crawls`).
    A `now` given here is also the catch-up's clock for the digest (which days are due).
    With `every` (seconds), every job runs at that interval instead of its configured time.
    """
    settings = settings or load_settings()
    sources = sources or load_sources()
    fixed_now = now
    now = (now or datetime.now(TZ)).astimezone(TZ)
    db = str(db or default_db_path())
    options = settings.scheduler  # ranges checked when the settings were loaded
    if every is not None and every < 1:
        raise ConfigError(
            f"the accelerated interval (--every) must be at least 1 second, not {every}"
        )
    scheduler = BlockingScheduler(
        timezone=TZ, executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
    common: dict[str, Any] = {
        "replace_existing": True,
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": options["misfire_grace_seconds"],
    }
    for job_id, func, minutes, what in (
        ("annotate", jobs.annotate_job, options["annotate_every_minutes"], "annotate pending"),
        (
            "alerts",
            jobs.alerts_job,
            options["alerts_every_minutes"],
            "check alerts, build any digest due, send mail",
        ),
    ):
        if every:
            trigger, name = _every(every, now), f"{what}, every {every} s"
        else:
            trigger = IntervalTrigger(minutes=minutes, start_date=GRID_ORIGIN, timezone=TZ)
            name = f"{what}, every {minutes} min"
        scheduler.add_job(func, trigger, args=[db], id=job_id, name=name, **common)
    hour, minute = settings.digest["time"].split(":")
    trigger = CronTrigger(hour=int(hour), minute=int(minute), timezone=TZ)
    name = f"digest of the day before, daily at {settings.digest['time']}"
    if every:
        trigger, name = _every(every, now), f"digest of each day due, every {every} s"
    scheduler.add_job(jobs.digest_job, trigger, args=[db], id="digest", name=name, **common)
    for source in sources.select():
        trigger = cron_trigger(source.schedule, where=f"source {source.id!r}")
        when = f"cron '{source.schedule}'"
        if every:
            trigger, when = _every(every, now), f"every {every} s"
        scheduler.add_job(
            jobs.crawl_job,
            trigger,
            args=[db, source.id, sample],
            id=f"crawl:{source.id}",
            name=f"crawl {source.id}, {when}",
            **common,
        )
    scheduler.add_listener(
        JobListener(db), EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
    )
    log_each_run_once()
    if catch_up:
        with Store.open(db) as store:
            last = store.last_runs("crawl")
        clock = None if fixed_now is None else now.isoformat()
        scheduler.add_job(
            jobs.catch_up_job,
            DateTrigger(run_date=now, timezone=TZ),
            args=[db, missed_crawls(scheduler, last, now), sample, clock],
            id="catch-up",
            name="catch up at start: missed crawls, annotate, health, alerts, digest, mail",
            **common,
        )
    return scheduler


def _every(seconds: int, now: datetime) -> IntervalTrigger:
    """Every `seconds`, the first time `seconds` after `now` (the accelerated schedule)."""
    return IntervalTrigger(
        seconds=seconds, start_date=now + timedelta(seconds=seconds), timezone=TZ
    )


def missed_crawls(
    scheduler: BlockingScheduler, last_crawls: dict[str, dict[str, Any]], now: datetime
) -> list[str]:
    """Sources whose last crawl is older than their latest scheduled time (or never crawled)."""
    missed = []
    for job in scheduler.get_jobs():
        if not job.id.startswith("crawl:"):
            continue
        source = job.id.removeprefix("crawl:")
        last = last_crawls.get(source)
        if last is not None:
            started = datetime.fromisoformat(last["started_at"].replace("Z", "+00:00"))
            upcoming = job.trigger.get_next_fire_time(None, started)
            if upcoming is None or upcoming > now:
                continue
        missed.append(source)
    return missed


def job_table(scheduler: BlockingScheduler, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every job with its next fire time after `now`, soonest first."""
    now = (now or datetime.now(TZ)).astimezone(TZ)
    rows = []
    for job in scheduler.get_jobs():
        upcoming = getattr(job, "next_run_time", None) or job.trigger.get_next_fire_time(None, now)
        rows.append({"id": job.id, "name": job.name, "next_run": upcoming})
    far = datetime.max.replace(tzinfo=TZ)
    return sorted(rows, key=lambda r: (r["next_run"] or far, r["id"]))


# -- running -------------------------------------------------------------------------------


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM or SIGINT to leave the scheduler's loop."""


def serve(
    db: Path,
    *,
    sample: bool = False,
    settings: Settings | None = None,
    every: int | None = None,
) -> None:
    """Run the scheduler on `db` until SIGTERM or Ctrl-C; refuses if another one runs on it.

    With `every` (seconds), every job runs at that interval instead of its configured time.
    """
    settings = settings or load_settings()
    with ops.SchedulerLock(Path(db)), _logging(settings):
        scheduler = _prepare(Path(db), settings, sample, every)
        _run_until_stopped(scheduler)


def _prepare(db: Path, settings: Settings, sample: bool, every: int | None) -> BlockingScheduler:
    jobs.STOP.clear()
    with Store.open(db) as store:
        ops.close_orphaned_runs(store, grace=settings.scheduler["crawl_kill_grace_seconds"])
    scheduler = build_scheduler(db, sample=sample, settings=settings, catch_up=True, every=every)
    log.info(
        "scheduler started on %s (pid %s, %d jobs%s%s); stop with SIGTERM or Ctrl-C",
        db,
        os.getpid(),
        len(scheduler.get_jobs()),
        ", sample sites" if sample else "",
        f", every job every {every} s" if every else "",
    )
    return scheduler


def _run_until_stopped(scheduler: BlockingScheduler) -> None:
    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if jobs.stopping():
            log.warning("already stopping: waiting for the running job to finish")
            return
        jobs.STOP.set()
        raise _Stop(signal.Signals(signum).name)

    with _signals(on_signal):
        try:
            scheduler.start()
        except _Stop as stop:
            log.info("%s received: finishing the running job, then stopping", stop.args[0])
        finally:
            jobs.STOP.set()
            if scheduler.state != STATE_STOPPED:
                scheduler.shutdown(wait=True)
    log.info("scheduler stopped")


def serve_once(
    db: Path,
    *,
    sample: bool = False,
    settings: Settings | None = None,
    steps: tuple[str, ...] = jobs.CYCLE,
) -> list[jobs.StepResult]:
    """One full cycle on `db` under the scheduler's lock, then return; SIGTERM stops it early."""
    settings = settings or load_settings()
    results: list[jobs.StepResult] = []

    def cycle() -> None:
        results.extend(jobs.run_cycle(Path(db), sample=sample, settings=settings, steps=steps))

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        jobs.STOP.set()

    with ops.SchedulerLock(Path(db)), _logging(settings, stderr_level=logging.CRITICAL):
        jobs.STOP.clear()
        with Store.open(db) as store:
            ops.close_orphaned_runs(store, grace=settings.scheduler["crawl_kill_grace_seconds"])
        worker = threading.Thread(target=cycle, name="kuzet-cycle")
        with _signals(on_signal):
            worker.start()
            while worker.is_alive():
                worker.join(0.5)
    return results


@contextmanager
def _signals(handler: Any) -> Iterator[None]:
    """`handler` for SIGTERM and SIGINT while inside (only the main thread can set them)."""
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def _logging(settings: Settings, *, stderr_level: int | None = None) -> Iterator[None]:
    setup_logging(settings, stderr_level=stderr_level)
    try:
        yield
    finally:
        close_logging()


def main(argv: list[str] | None = None) -> None:
    """`python scheduler.py [--db PATH] [--sample] [--once] [--every SECONDS]`: `kuzet run`."""
    from kuzet.cli import cli

    args = sys.argv[1:] if argv is None else argv
    cli.main(args=["run", *args], prog_name="scheduler.py")


if __name__ == "__main__":
    main()
