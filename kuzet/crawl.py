"""Running crawls (in a subprocess) and checking sources: the library behind `kuzet crawl`
and `kuzet sources`.

A crawl runs as `python -m crawler.run` in its own process group (the Twisted reactor cannot be
restarted inside one process). With a time limit, a crawl still running when it expires is
asked to stop (SIGTERM), then killed with its whole group (SIGKILL) after a grace period; every
source it had not finished is recorded as failed, saying why, and the sources that finished
keep their runs. The crawl is told which process started it (`--parent-pid`): if that process
dies, however it dies, the crawl stops too, within the same grace period (kuzet.lifeline).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kuzet.config import load_sources
from kuzet.errors import CrawlError, DatabaseNotFoundError
from kuzet.sample_server import SampleServer, check_step
from kuzet.store import Store

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
#: Environment variables a crawl process never needs to see.
_SECRETS = ("KUZET_SMTP_PASSWORD",)


@dataclass
class CrawlReport:
    """The runs rows one crawl wrote, one per source."""

    runs: list[dict[str, Any]]
    returncode: int
    #: Why the crawl was cut short: "time limit", "stopped" (Kuzet was stopping), or None.
    cut_short: str | None = None


def crawl(
    db: Path,
    names: tuple[str, ...] | list[str] = (),
    *,
    sample: bool = False,
    log_level: str = "WARNING",
    time_limit: float | None = None,
    kill_grace: float = 15.0,
    stop: threading.Event | None = None,
    log_output: bool = False,
    step: int = 0,
) -> CrawlReport:
    """Crawl the named sources (or every enabled one) into `db`, in a subprocess.

    With `sample`, a sample server is started on a free loopback port for the crawl and every
    request goes to it; `step` (sample only) serves the sites as they are at that step of the
    bill sequence. With `time_limit` (seconds), a crawl running longer is stopped and its
    unfinished sources recorded as failed; setting `stop` does the same at once (the scheduler
    is shutting down). With `log_output`, the crawl's output goes to this module's logger
    instead of straight to stderr. Returns the runs rows written.
    """
    names = tuple(names)
    selected = [s.id for s in load_sources().select(list(names))]  # unknown names fail early
    if step and not sample:
        raise CrawlError("--step needs --sample: steps exist only in the offline sample")
    try:
        check_step(step)
    except ValueError as exc:
        raise CrawlError(str(exc)) from exc
    with Store.open(db) as store:
        before = max((r["id"] for r in store.run_rows()), default=0)
    server = SampleServer(step=step) if sample else nullcontext(None)
    with server as proxy:
        cmd = [sys.executable, "-m", "crawler.run", "--db", str(db), "--log-level", log_level]
        cmd += ["--parent-pid", str(os.getpid()), "--parent-grace", f"{kill_grace:g}"]
        cmd += [*(["--sample-proxy", proxy] if proxy else []), *names]
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=_env(),
            start_new_session=True,  # its own process group: killed as a whole
            stdout=subprocess.PIPE if log_output else None,
            stderr=subprocess.STDOUT if log_output else None,
        )
        reader = _forward(proc.stdout) if log_output else None
        try:
            cut_short, unfinished = _supervise(proc, db, before, selected, time_limit, stop)
            if cut_short:
                _terminate(proc, kill_grace)
        except BaseException:  # Ctrl-C in `kuzet crawl`: take the crawl down with us
            _terminate(proc, kill_grace)
            raise
        finally:
            if reader is not None:
                reader.join(timeout=5)
    with Store.open(db) as store:
        if cut_short:
            _record_cut_short(store, cut_short, time_limit, before, selected, unfinished)
        runs = store.run_rows(since_id=before)
    if proc.returncode != 0 and not runs and not cut_short:
        raise CrawlError(f"the crawl process failed (exit status {proc.returncode})")
    return CrawlReport(runs, proc.returncode, cut_short)


def _supervise(
    proc: subprocess.Popen,
    db: Path,
    before: int,
    sources: list[str],
    time_limit: float | None,
    stop: threading.Event | None,
) -> tuple[str | None, list[dict[str, Any]]]:
    """Wait for the crawl; on time limit or stop, return why and the runs still open then."""
    deadline = None if time_limit is None else time.monotonic() + time_limit
    while True:
        try:
            proc.wait(timeout=0.2)
            return None, []
        except subprocess.TimeoutExpired:
            pass
        reason = None
        if stop is not None and stop.is_set():
            reason = "stopped"
        elif deadline is not None and time.monotonic() >= deadline:
            reason = "time limit"
        if reason:
            with Store.open(db) as store:
                return reason, store.unfinished_runs("crawl", after_id=before, sources=sources)


def _terminate(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the crawl's process group (Scrapy closes its spiders), SIGKILL after `grace`."""
    if proc.poll() is not None:
        return
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("crawl process %s did not stop within %g s: killing it", proc.pid, grace)
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _record_cut_short(
    store: Store,
    why: str,
    time_limit: float | None,
    before: int,
    sources: list[str],
    unfinished: list[dict[str, Any]],
) -> None:
    """Record what a stopped crawl left: unfinished sources failed, with the reason."""
    if why == "time limit":
        reason = f"killed: the crawl was still running after its time limit of {time_limit:g} s"
        store.fail_runs([r["id"] for r in unfinished], reason)
        started = {r["source"] for r in store.run_rows(since_id=before)}
        for source in sources:
            if source not in started:  # hung before its spider even opened
                store.record_failed_run("crawl", source, reason)
        log.error("%s (%s)", reason, ", ".join(r["source"] for r in unfinished) or "-")
        return
    # stopped on purpose: close what Scrapy could not; sources not started are not failures
    left = store.unfinished_runs("crawl", after_id=before, sources=sources)
    store.fail_runs([r["id"] for r in left], "interrupted: Kuzet was stopped during the crawl")


#: A line of Scrapy's log: "2026-01-01 10:00:00 [scrapy.core.engine] INFO: message".
_LOG_LINE = re.compile(r"^\S+ \S+ \[(?P<name>[^\]]+)\] (?P<level>[A-Z]+): (?P<message>.*)$")


def _forward(stream: IO[bytes] | None) -> threading.Thread:
    """Log each line the crawl process writes at its own level (so it reaches the log files,
    secrets masked); continuation lines (tracebacks) keep the level of the line before."""

    def pump() -> None:
        assert stream is not None
        level = logging.INFO
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            parsed = _LOG_LINE.match(line)
            if parsed:
                level = logging.getLevelNamesMapping().get(parsed["level"], logging.INFO)
                line = f"[{parsed['name']}] {parsed['message']}"
            if line:
                log.log(level, "crawl: %s", line)
        stream.close()

    thread = threading.Thread(target=pump, name="crawl-output", daemon=True)
    thread.start()
    return thread


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECRETS}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def sources_overview(db: Path | None) -> list[dict[str, Any]]:
    """Every configured source with its latest crawl run (if the database has one)."""
    config = load_sources()
    last: dict[str, dict[str, Any]] = {}
    if db is not None and db.exists():
        try:
            with Store.open(db, create=False) as store:
                last = store.last_runs("crawl")
        except DatabaseNotFoundError:  # an empty file: nothing crawled yet
            last = {}
    return [{"source": s, "last_run": last.get(s.id)} for s in config.sources.values()]


@contextmanager
def sample_server(port: int = 0, step: int = 0) -> Iterator[str]:
    """A running sample server (at `step` of the bill sequence); yields its base URL."""
    try:
        server = SampleServer(port, step=step)
    except ValueError as exc:
        raise CrawlError(str(exc)) from exc
    with server as url:
        yield url
