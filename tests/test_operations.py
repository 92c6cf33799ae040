"""Faults the scheduler must survive: a hung crawl, SIGTERM mid-crawl, a source that stops
answering (status and one e-mail per incident), dead processes' runs; logs rotate, no secrets."""

from __future__ import annotations

import email
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from kuzet import jobs, lifeline, ops
from kuzet.crawl import _env, crawl
from kuzet.logs import MASK, close_logging, setup_logging
from kuzet.settings import load_settings
from kuzet.store import Store
from tests.loopback_sites import QuickSite, Tarpit, write_sources

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def quick_site() -> Iterator[QuickSite]:
    site = QuickSite()
    yield site
    site.close()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    pit = Tarpit()
    yield pit
    pit.close()


def rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_a_hung_crawl_is_killed_and_recorded_failed_the_others_go_on(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    quick_site: QuickSite,
    tarpit: Tarpit,
) -> None:
    sources = write_sources(
        tmp_path / "sources.toml", quick=f"{quick_site.url}/feed.xml", tarpit=f"{tarpit.url}/feed"
    )
    monkeypatch.setenv("KUZET_SOURCES", str(sources))
    report = crawl(db_path, ("quick", "tarpit"), time_limit=6, kill_grace=1)
    assert report.cut_short == "time limit"
    runs = {r["source"]: r for r in report.runs}
    assert runs["quick"]["status"] == "ok"
    assert runs["quick"]["new_docs"] == 1
    assert runs["tarpit"]["status"] == "failed"
    assert runs["tarpit"]["message"].startswith(
        "killed: the crawl was still running after its time limit of 6 s"
    )
    assert runs["tarpit"]["finished_at"] is not None
    assert not rows(db_path, "SELECT id FROM runs WHERE status = 'running'")
    assert not ops.pid_alive(runs["tarpit"]["pid"])  # the whole process is gone
    # health sees it as a bad run
    with Store.open(db_path) as store:
        assert store.bad_streak_start("tarpit")["id"] == runs["tarpit"]["id"]


def test_sigterm_mid_crawl_leaves_the_database_consistent(
    db_path: Path, tmp_path: Path, tarpit: Tarpit
) -> None:
    sources = write_sources(tmp_path / "sources.toml", tarpit=f"{tarpit.url}/feed")
    config = tmp_path / "kuzet.toml"
    config.write_text("[scheduler]\ncrawl_kill_grace_seconds = 2\n")
    env = {
        **os.environ,
        "KUZET_SOURCES": str(sources),
        "KUZET_CONFIG": str(config),
        "KUZET_VAR": str(tmp_path / "var"),
    }
    proc = subprocess.Popen(
        [sys.executable, "scheduler.py", "--db", str(db_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        running = wait_for_running_crawl(db_path, proc)
        assert ops.lock_holder(db_path) == proc.pid
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "SIGTERM received: finishing the running job, then stopping" in stderr
    assert "scheduler stopped" in stderr
    row = rows(db_path, "SELECT * FROM runs WHERE id = ?", running["id"])[0]
    assert row["status"] == "failed"
    assert row["finished_at"] is not None
    assert "interrupted" in row["message"] or "crawl ended early: shutdown" in row["message"]
    assert not rows(db_path, "SELECT id FROM runs WHERE status = 'running'")
    assert rows(db_path, "PRAGMA integrity_check")[0][0] == "ok"
    assert not ops.pid_alive(running["pid"])  # the crawl process went with it
    assert ops.lock_holder(db_path) is None
    log_text = (tmp_path / "var" / "logs" / "kuzet.log").read_text("utf-8")
    assert "scheduler stopped" in log_text


def wait_for_running_crawl(db: Path, proc: subprocess.Popen) -> sqlite3.Row:
    """The scheduler's crawl of the tarpit, once its run row exists (polls the database)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        if db.exists():
            try:
                found = rows(db, "SELECT * FROM runs WHERE job = 'crawl' AND status = 'running'")
            except sqlite3.OperationalError:  # not migrated yet
                found = []
            if found:
                return found[0]
        time.sleep(0.2)
    raise AssertionError("the scheduler never started the crawl")


def crawl_under_a_parent(db: Path, tmp_path: Path, tarpit: Tarpit) -> tuple[subprocess.Popen, int]:
    """A process that runs `kuzet.crawl.crawl` on a source that hangs (as the scheduler or
    `kuzet crawl` would), and the pid of its crawl process, once that has opened its run."""
    sources = write_sources(tmp_path / "sources.toml", tarpit=f"{tarpit.url}/feed")
    env = {**os.environ, "KUZET_SOURCES": str(sources), "KUZET_VAR": str(tmp_path / "var")}
    code = (
        "from pathlib import Path; from kuzet.crawl import crawl; "
        f"crawl(Path({str(db)!r}), ['tarpit'], kill_grace=3)"
    )
    with (tmp_path / "parent-stderr.txt").open("w") as stderr:
        parent = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    running = wait_for_running_crawl(db, parent)
    child = int(running["pid"])
    assert child != parent.pid
    assert ops.pid_alive(child)
    assert not lifeline.orphaned_crawl(child)  # its parent is alive
    assert not lifeline.orphaned_crawl(parent.pid)  # not a crawl process
    return parent, child


def wait_gone(pid: int, deadline: float = 10.0) -> float:
    """Seconds until process `pid` is gone; fails after `deadline` (polls, never sleeps long)."""
    start = time.monotonic()
    while ops.pid_alive(pid):
        assert time.monotonic() - start < deadline, f"process {pid} still running"
        time.sleep(0.1)
    return time.monotonic() - start


def test_a_crawl_stops_when_the_process_that_started_it_is_sigkilled(
    db_path: Path, tmp_path: Path, tarpit: Tarpit
) -> None:
    """`kuzet run` SIGKILLed outside systemd: its crawl (in a process group of its own, so
    not killed with it) is gone within seconds, not left crawling with no time limit; the next
    start finds its run closed or closes it."""
    parent, child = crawl_under_a_parent(db_path, tmp_path, tarpit)
    try:
        parent.kill()
        parent.wait(timeout=30)
        wait_gone(child)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)
    with Store.open(db_path) as store:
        ops.close_orphaned_runs(store)
    (row,) = rows(db_path, "SELECT * FROM runs WHERE job = 'crawl'")
    assert row["status"] == "failed"
    assert row["finished_at"] is not None


def test_start_up_stops_a_crawl_that_outlived_its_parent_and_closes_its_run(
    db_path: Path, tmp_path: Path, tarpit: Tarpit, caplog: pytest.LogCaptureFixture
) -> None:
    """A crawl that could not stop itself when its parent died (here: stopped with SIGSTOP, so
    neither its SIGTERM nor its watchdog ran) is stopped by the next start, and its run closed."""
    parent, child = crawl_under_a_parent(db_path, tmp_path, tarpit)
    try:
        os.kill(child, signal.SIGSTOP)
        parent.kill()
        parent.wait(timeout=30)
        assert ops.pid_alive(child)
        assert lifeline.orphaned_crawl(child)
        with Store.open(db_path) as store:
            ops.close_orphaned_runs(store, grace=3)
        assert not ops.pid_alive(child)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)
    assert f"crawl process {child} outlived the process that started it" in caplog.text
    assert rows(db_path, "SELECT id FROM runs WHERE status = 'running'") == []
    (row,) = rows(db_path, "SELECT * FROM runs WHERE job = 'crawl'")
    assert row["status"] == "failed"


def test_a_source_that_stops_answering_is_flagged_and_emailed_once(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: object,
    run: object,
) -> None:
    smtp_server.start()
    config = tmp_path / "kuzet.toml"
    config.write_text(
        "[operations]\nstale_after_runs = 2\nto = ['ops@example.org']\n"
        f"[mail]\nhost = '127.0.0.1'\nport = {smtp_server.port}\nsecurity = 'none'\n"
    )
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    answering = write_sources(tmp_path / "ok.toml", kursiv="https://kz.kursiv.media/feed/")
    dead = write_sources(tmp_path / "dead.toml", kursiv="http://127.0.0.1:9/feed/")
    monkeypatch.setenv("KUZET_SOURCES", str(answering))
    jobs.crawl_job(str(db_path), "kursiv", True)
    assert status_of(run, "kursiv") == "ok"

    monkeypatch.setenv("KUZET_SOURCES", str(dead))
    jobs.crawl_job(str(db_path), "kursiv", True)
    assert status_of(run, "kursiv") == "failing"
    assert smtp_server.messages == []
    for _ in range(2):  # stale now; the second bad crawl must not mail again
        jobs.crawl_job(str(db_path), "kursiv", True)
    result = run("status")
    assert status_of(run, "kursiv") == "STALE"
    assert "STALE: kursiv" in result.output
    assert "3 bad in a row since" in result.output
    assert len(smtp_server.messages) == 1
    _sender, recipients, raw = smtp_server.messages[0]
    notice = email.message_from_bytes(raw)
    assert recipients == ["ops@example.org"]
    assert notice["Subject"] == "Kuzet: source kursiv is stale (2 bad crawls in a row)"
    assert "kuzet sources check kursiv" in notice.get_payload(decode=True).decode()

    monkeypatch.setenv("KUZET_SOURCES", str(answering))
    jobs.crawl_job(str(db_path), "kursiv", True)
    assert status_of(run, "kursiv") == "ok"
    assert len(smtp_server.messages) == 2
    assert email.message_from_bytes(smtp_server.messages[1][2])["Subject"] == (
        "Kuzet: source kursiv answers again"
    )


def status_of(run: object, source: str) -> str:
    result = run("status")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith(f"{source} "))
    return line.split()[1]


def test_runs_left_by_a_dead_process_are_closed_live_ones_kept(store: Store) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead_run = store.start_run("crawl", "vlast")
    live_run = store.start_run("annotate")
    store.db.execute("UPDATE runs SET pid = ? WHERE id = ?", [gone.pid, dead_run])
    store.db.conn.commit()
    closed = ops.close_orphaned_runs(store)
    assert [r["id"] for r in closed] == [dead_run]
    runs = {r["id"]: r for r in store.run_rows("crawl") + store.run_rows("annotate")}
    assert runs[dead_run]["status"] == "failed"
    assert runs[dead_run]["message"].startswith(f"interrupted: process {gone.pid} ended")
    assert runs[live_run]["status"] == "running"


def test_a_failed_job_is_reported_once_a_day(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    settings = load_settings()
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    first = ops.notify_job_failure(store, settings, "digest", "OSError: disk full", now=now)
    again = ops.notify_job_failure(store, settings, "digest", "OSError: disk full", now=now)
    tomorrow = ops.notify_job_failure(
        store, settings, "digest", "OSError: disk full", now=now + timedelta(days=1)
    )
    assert first is not None
    assert again is None
    assert tomorrow is not None
    assert store.queued_keys("ops:job:digest:") == [
        "ops:job:digest:2026-03-02",
        "ops:job:digest:2026-03-03",
    ]


def test_logs_rotate_and_never_show_the_smtp_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "h0rse-Battery-staple"
    monkeypatch.setenv("KUZET_SMTP_PASSWORD", secret)
    config = tmp_path / "kuzet.toml"
    config.write_text("[scheduler]\nlog_max_bytes = 2000\nlog_backups = 2\n")
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    path = setup_logging(load_settings())
    logger = logging.getLogger("kuzet.test")
    try:
        for i in range(60):
            logger.info("attempt %d to log in with %s", i, secret)
        logger.warning(f"inline {secret} in the message")
        try:
            raise RuntimeError(f"server said: bad password {secret}")
        except RuntimeError:
            logger.exception("login failed")
    finally:
        close_logging()
    assert path == tmp_path / "var" / "logs" / "kuzet.log"
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["kuzet.log", "kuzet.log.1", "kuzet.log.2"]
    text = "".join(p.read_text("utf-8") for p in path.parent.iterdir())
    assert secret not in text
    assert f"bad password {MASK}" in text  # the traceback, masked too
    assert all(p.stat().st_size <= 2200 for p in path.parent.iterdir())
    # and a crawl process never receives it
    assert "KUZET_SMTP_PASSWORD" not in _env()
