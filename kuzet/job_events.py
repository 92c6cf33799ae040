"""What the scheduler says about its jobs: errors (and a notice to operations), missed runs,
skipped runs; each said once.

APScheduler logs a missed run (started past its misfire grace time) and a skipped one (its
previous run still going) itself, in its own words; `JobListener` says it with the reason, and
`log_each_run_once` drops APScheduler's line, so each such run is one line in the log.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)

from kuzet import mail, ops
from kuzet.config import TIMEZONE
from kuzet.settings import load_settings
from kuzet.store import Store

log = logging.getLogger("kuzet.scheduler")  # the scheduler's own voice in the log
TZ = ZoneInfo(TIMEZONE)


class JobListener:
    """Logs job errors and missed or skipped runs; a failed job also e-mails operations.

    APScheduler logs missed and skipped runs itself too; `log_each_run_once` drops its lines, so
    each such run is logged once, here, saying why.
    """

    def __init__(self, db: str) -> None:
        self.db = db

    def __call__(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning(
                "job %s missed its run of %s: it could not start within the misfire grace "
                "time (a long job before it, or the machine was asleep)",
                event.job_id,
                _when(event.scheduled_run_time),
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            log.warning(
                "job %s skipped its run of %s: its previous run is still running or waiting",
                event.job_id,
                ", ".join(_when(t) for t in event.scheduled_run_times),
            )
        elif event.code == EVENT_JOB_ERROR:
            error = f"{type(event.exception).__name__}: {event.exception}"
            # APScheduler has logged the traceback just before
            log.error("job %s failed: %s; notifying operations", event.job_id, error)
            self._notify(event.job_id, error)

    def _notify(self, job_id: str, error: str) -> None:
        try:
            settings = load_settings()
            with Store.open(self.db) as store:
                if ops.notify_job_failure(store, settings, job_id, error) is not None:
                    mail.send_pending(store, settings)
        except Exception:  # the listener must never take the scheduler down
            log.exception("could not queue the notice that job %s failed", job_id)


class _LoggedByListener(logging.Filter):
    """Drops APScheduler's own lines about a missed or a skipped run (JobListener says it)."""

    TEMPLATES = (
        'Run time of job "%s" was missed by %s',  # apscheduler.executors.<alias>
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self.TEMPLATES


_LISTENER_SAYS_IT = _LoggedByListener()


def log_each_run_once() -> None:
    """Put the filter on the loggers APScheduler writes those lines to (once per process)."""
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logger = logging.getLogger(name)
        if _LISTENER_SAYS_IT not in logger.filters:
            logger.addFilter(_LISTENER_SAYS_IT)


def _when(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S %Z")
