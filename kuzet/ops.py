"""Operations: one scheduler per database (a file lock), runs left open by a dead process,
stale-source notices to the operations address, and what `kuzet status` shows.

A stale source (see kuzet.health) is e-mailed once per incident: the message's dedupe key is
`ops:stale:<source>:<id of the first bad run>`, so a source that keeps failing is not reported
again, and a source that recovers and fails again later is a new incident. When a reported
source answers again, one "recovered" notice follows (`ops:recovered:<source>:<same id>`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from zoneinfo import ZoneInfo

from kuzet.config import TIMEZONE
from kuzet.errors import SchedulerRunningError, StoreError
from kuzet.health import SourceHealth, source_health
from kuzet.lifeline import orphaned_crawl
from kuzet.mail import Outgoing, queue
from kuzet.settings import Settings, load_settings
from kuzet.store import Store

log = logging.getLogger(__name__)
LOCAL = ZoneInfo(TIMEZONE)


# -- one scheduler per database ----------------------------------------------------------


def lock_path(db: Path) -> Path:
    """The lock file next to the database: `<db>.scheduler.lock`."""
    return db.with_name(db.name + ".scheduler.lock")


class SchedulerLock:
    """An exclusive OS lock (flock) on `<db>.scheduler.lock`, holding the owner's pid.

    The kernel drops it when the process ends, however it ends, so a crash never leaves a
    stale lock behind. A second scheduler gets SchedulerRunningError naming the holder.
    """

    def __init__(self, db: Path) -> None:
        self.db = Path(db)
        self.path = lock_path(self.db)
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise SchedulerRunningError (one line, with the holder's pid)."""
        try:
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"cannot open lock file {self.path}: {exc.strerror}") from exc
        for attempt in range(5):  # `kuzet status` may hold a shared lock for a moment
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt < 4:
                    time.sleep(0.1)
        else:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise SchedulerRunningError(
                f"another Kuzet scheduler (pid {holder}) is already running on {self.db} "
                f"(lock {self.path}); stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Drop the lock (the file stays; an unlocked file means no scheduler)."""
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> SchedulerLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_holder(db: Path) -> int | None:
    """The pid of the scheduler running on `db`, or None when none is (the lock is free)."""
    path = lock_path(Path(db))
    if not path.exists():
        return None
    with path.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


# -- runs left open ------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists (ours or another user's) and has not ended: a
    zombie (ended, not yet reaped by a parent that does not reap) counts as gone."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text("ascii", "replace").rpartition(")")[2]
    except OSError:  # no /proc here, or it ended meanwhile
        return not Path("/proc").is_dir()
    return state.split()[:1] not in (["Z"], ["X"])


def close_orphaned_runs(store: Store, *, grace: float = 15.0) -> list[dict[str, Any]]:
    """Close runs left `running` by a process that died (crash, power cut, SIGKILL).

    A crawl process still alive whose parent died (a scheduler SIGKILLed mid-crawl, its crawl
    not yet stopped; see kuzet.lifeline) is stopped first: SIGTERM to its process group, SIGKILL
    after `grace` seconds; then its runs are closed with the others.
    """
    stop_orphaned_crawls(store, grace)
    closed = store.close_orphaned_runs(
        pid_alive, "interrupted: {pid} ended without finishing this run (stopped or crashed)"
    )
    for row in closed:
        log.warning(
            "run %s (%s %s, started %s) was left unfinished by a process that died: marked failed",
            row["id"],
            row["job"],
            row["source"] or "",
            row["started_at"],
        )
    return closed


def stop_orphaned_crawls(store: Store, grace: float) -> list[int]:
    """Stop every live crawl process of a running crawl run whose parent is gone; their pids."""
    pids = sorted(
        {int(r["pid"]) for r in store.unfinished_runs("crawl") if r["pid"] is not None}
        - {os.getpid()}
    )
    stopped = [pid for pid in pids if pid_alive(pid) and orphaned_crawl(pid)]
    for pid in stopped:
        log.warning(
            "crawl process %s outlived the process that started it: stopping it (SIGTERM, "
            "SIGKILL after %g s)",
            pid,
            grace,
        )
        _signal_group(pid, signal.SIGTERM)
        _signal_group(pid, signal.SIGCONT)  # a stopped process must run to see its SIGTERM
    _wait_gone(stopped, grace)
    for pid in stopped:
        if pid_alive(pid):
            log.warning("crawl process %s did not stop within %g s: killing it", pid, grace)
            _signal_group(pid, signal.SIGKILL)
    _wait_gone(stopped, 5.0)  # SIGKILL cannot be refused: gone as soon as the kernel is done
    return stopped


def _wait_gone(pids: list[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """`sig` to the process group led by `pid` (a crawl leads its own), else to `pid`."""
    with suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


# -- stale sources ---------------------------------------------------------------------------


def notify_stale(
    store: Store,
    settings: Settings | None = None,
    *,
    sources: list[str] | None = None,
    now: datetime | None = None,
) -> list[tuple[int, str]]:
    """Queue one notice per new stale-source incident (and per recovery).

    Returns the outbox id and subject of each message queued.

    Only enabled sources are checked (all of them, or those in `sources`).
    """
    settings = settings or load_settings()
    queued: list[tuple[int, str]] = []
    for health in source_health(store, settings, now=now, sources=sources):
        if not health.enabled:
            continue
        message = _stale_notice(store, settings, health) or _recovery_notice(store, health)
        if message is None:
            continue
        message.recipients = list(settings.operations["to"])
        if not message.recipients:
            log.warning(
                "no operations address set ([operations] to / KUZET_OPS_TO): %s", message.subject
            )
        outbox_id = queue(store, message, settings)
        if outbox_id is not None:
            log.warning("%s (outbox #%s)", message.subject, outbox_id)
            queued.append((outbox_id, message.subject))
    return queued


def notify_job_failure(
    store: Store,
    settings: Settings,
    job_id: str,
    error: str,
    *,
    now: datetime | None = None,
) -> int | None:
    """Queue a notice that a scheduled job failed: at most one per job and day (Asia/Almaty)."""
    day = (now or datetime.now(UTC)).astimezone(LOCAL).date().isoformat()
    text = (
        f"The scheduled job {job_id} failed on {day}:\n\n  {' '.join(error.split())[:1000]}\n\n"
        f"The traceback is in the log ({settings.log_dir()}/kuzet.log, and the service's "
        "journal: journalctl -u kuzet). The job runs again at its next time; you get at most "
        "one such notice per job and day.\n"
    )
    message = Outgoing(
        kind="ops",
        dedupe_key=f"ops:job:{job_id}:{day}",
        recipients=list(settings.operations["to"]),
        subject=f"Kuzet: scheduled job {job_id} failed",
        text=text,
    )
    return queue(store, message, settings)


def _stale_notice(store: Store, settings: Settings, h: SourceHealth) -> Outgoing | None:
    if not h.stale or h.bad_since_run is None:
        return None
    key = f"ops:stale:{h.source}:{h.bad_since_run}"
    if store.is_queued(key):
        return None
    runs = store.recent_runs("crawl", per_source=min(h.bad_in_a_row, 10)).get(h.source, [])
    lines = [
        f"The source {h.name} ({h.source}) is stale: its last {h.bad_in_a_row} crawls failed "
        f"or fetched nothing, since {local_time(h.bad_since)}.",
        "",
        "Recent crawls, newest first:",
        *(_run_line(r) for r in runs),
        "",
        f"Check it by hand: kuzet sources check {h.source}",
        "The site may be down, or changed its layout: selectors in data/sources.toml may need",
        "updating. You get this notice once; another follows when the source answers again.",
        f"Threshold: [operations] stale_after_runs = {settings.operations['stale_after_runs']}.",
    ]
    return Outgoing(
        kind="ops",
        dedupe_key=key,
        recipients=[],
        subject=f"Kuzet: source {h.name} is stale ({h.bad_in_a_row} bad crawls in a row)",
        text="\n".join(lines) + "\n",
    )


def _recovery_notice(store: Store, h: SourceHealth) -> Outgoing | None:
    if h.bad_in_a_row or h.last_run is None:
        return None
    reported = store.queued_keys(f"ops:stale:{h.source}:")
    if not reported:
        return None
    incident = reported[-1].rsplit(":", 1)[1]
    key = f"ops:recovered:{h.source}:{incident}"
    if store.is_queued(key):
        return None
    good = store.last_good_run(h.source)
    if good is None or good["id"] <= int(incident):
        return None
    text = (
        f"The source {h.name} ({h.source}) answers again: {_run_line(good)}\n"
        f"(It was reported stale in incident {incident}.)\n"
    )
    return Outgoing(
        kind="ops",
        dedupe_key=key,
        recipients=[],
        subject=f"Kuzet: source {h.name} answers again",
        text=text,
    )


def _run_line(run: dict[str, Any]) -> str:
    note = " ".join((run.get("message") or "").split())[:300]
    return (
        f"- run {run['id']} at {local_time(run['started_at'])}: {run['status']}, "
        f"{run['pages']} pages, {run['new_docs']} new" + (f" — {note}" if note else "")
    )


def local_time(iso: str | None) -> str:
    """An ISO 8601 time as Asia/Almaty local time, `YYYY-MM-DD HH:MM`."""
    if not iso:
        return "-"
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


# -- kuzet status ------------------------------------------------------------------------------


@dataclass
class StatusReport:
    """What `kuzet status` prints."""

    sources: list[SourceHealth]
    scheduler_pid: int | None
    pending_mail: int


def status(
    db: Path, settings: Settings | None = None, *, now: datetime | None = None
) -> StatusReport:
    """Per-source health, whether a scheduler runs on `db`, and mail waiting to go out."""
    with Store.open(db, create=False) as store:
        health = source_health(store, settings, now=now)
        pending = store.pending_message_count()
    return StatusReport(health, lock_holder(db), pending)
