"""The scheduler with the real alerts and digest: one full cycle, a bounded real run with
accelerated schedules, crash and restart, alerts after downtime, the digest job's day.

Real parts throughout: SQLite files, the sample sites (`--sample`), `kuzet` and `scheduler.py`
as subprocesses, the aiosmtpd server of tests/conftest.py. Nothing sleeps to wait for time:
a fixed `now` where the code takes one, else polling what a subprocess did, with a deadline.
"""

from __future__ import annotations

import email
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time as clock
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

import scheduler
from kuzet import jobs, ops
from kuzet.store import Store
from tests.conftest import ROOT, SmtpSink
from tests.digest_helpers import distinct_text, put
from tests.loopback_sites import Tarpit

TZ = scheduler.TZ
#: A few sample sources: legislation (the bill sequence) and one news feed.
SOURCES = ("kazinform", "adilet", "legalacts", "kurultai", "akorda")
STAFF = "policy@example.org"
READERS = "research@example.org"
BILL = "legalacts-15210"
DEADLINE = 60.0


# -- helpers ----------------------------------------------------------------------------------


def write_sources(path: Path, names: tuple[str, ...] = SOURCES) -> Path:
    """A sources file holding these tables copied from data/sources.toml (and [crawler])."""
    text = (ROOT / "data" / "sources.toml").read_text("utf-8")
    blocks = re.split(r"(?m)^(?=\[)", text)
    keep = [b for b in blocks if b.startswith("[crawler]")]
    keep += [b for b in blocks if any(b.startswith(f"[sources.{n}]") for n in names)]
    assert len(keep) == len(names) + 1
    path.write_text("".join(keep), "utf-8")
    return path


def subprocess_env(var: Path, sources: Path, **extra: str) -> dict[str, str]:
    """This test's environment for a subprocess: no developer KUZET_* variable, the loopback
    guard kept, its own var directory and sources, alert and digest recipients."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUZET_")}
    env["KUZET_LOOPBACK_ONLY"] = os.environ["KUZET_LOOPBACK_ONLY"]
    env |= {
        "KUZET_VAR": str(var),
        "KUZET_SOURCES": str(sources),
        "KUZET_ALERT_TO": STAFF,
        "KUZET_DIGEST_TO": READERS,
    }
    return env | extra


def smtp_env(port: int) -> dict[str, str]:
    return {
        "KUZET_SMTP_HOST": "127.0.0.1",
        "KUZET_SMTP_PORT": str(port),
        "KUZET_SMTP_SECURITY": "none",
    }


def kuzet(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`kuzet --db DB ARGS…` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "kuzet", "--db", str(db), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy of a database file (SQLite's backup API)."""
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    source.close()
    target.close()
    return dst


def rows(db: Path, query: str, *params: object) -> list[sqlite3.Row]:
    """The test's own read of the database (the scheduler may be writing meanwhile)."""
    conn = sqlite3.connect(db, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # not migrated yet
            return []
        raise
    finally:
        conn.close()


def digest_day_due(at: datetime, send_time: time = time(8)) -> date:
    """The test's reading of the rule: with no digest sent yet, the latest day due at `at` is
    yesterday (Asia/Almaty) from the digest time on, the day before until then."""
    local = at.astimezone(TZ)
    return local.date() - timedelta(days=1 if local.time() >= send_time else 2)


def installed_on(db: Path, day: date) -> Path:
    """A database Kuzet first used on `day` at noon (Asia/Almaty): one run recorded then. No
    digest is due for a day before a database's first record, so a test that wants the digest
    of the latest day due starts from a database installed on that day."""
    with Store.open(db) as store:
        run_id = store.start_run("import")
        store.finish_run(run_id, "ok", message="installed")
        noon = datetime.combine(day, time(12), tzinfo=TZ).isoformat()
        store.db.execute("UPDATE runs SET started_at = ? WHERE id = ?", [noon, run_id])
        store.db.conn.commit()
    return db


def days_due_between(before: datetime, after: datetime) -> set[str]:
    """Digest keys a run between `before` and `after` may build (one, unless it spans 08:00)."""
    return {f"digest:{digest_day_due(t).isoformat()}" for t in (before, after)}


class Scheduler:
    """`python scheduler.py --db DB --sample …` as a subprocess; stderr kept in a file."""

    def __init__(self, db: Path, env: dict[str, str], *args: str) -> None:
        self.db = db
        self.log = Path(env["KUZET_VAR"]) / "logs" / "kuzet.log"
        self.stderr_path = Path(env["KUZET_VAR"]).parent / f"stderr-{clock.monotonic_ns()}.txt"
        self._stderr = self.stderr_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "scheduler.py", "--db", str(db), "--sample", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8")

    def log_count(self, text: str) -> int:
        return self.log.read_text("utf-8").count(text) if self.log.exists() else 0

    def wait_until(self, what: str, done: Callable[[], bool], deadline: float = DEADLINE) -> None:
        """Poll `done` until it holds; fail if the scheduler exits or the deadline passes."""
        end = clock.monotonic() + deadline
        while not done():
            if self.proc.poll() is not None:
                raise AssertionError(f"the scheduler exited before {what}:\n{self.stderr[-3000:]}")
            if clock.monotonic() > end:
                raise AssertionError(f"no {what} within {deadline:g} s:\n{self.stderr[-3000:]}")
            clock.sleep(0.1)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send `sig` and wait for the process; its exit status (negative: killed by a signal)."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


@pytest.fixture
def started() -> Iterator[list[Scheduler]]:
    """Schedulers a test starts; any still running at the end is killed."""
    procs: list[Scheduler] = []
    yield procs
    for proc in procs:
        proc.close()


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def outbox(db: Path) -> dict[str, sqlite3.Row]:
    return {r["dedupe_key"]: r for r in rows(db, "SELECT * FROM outbox ORDER BY id")}


def assert_consistent(db: Path) -> None:
    """No run left `running`, and SQLite finds the file sound."""
    assert rows(db, "SELECT id, job, source FROM runs WHERE status = 'running'") == []
    assert rows(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert ops.lock_holder(db) is None


# -- one full cycle -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_cycle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`kuzet run --sample --once` on a fresh database, the sources limited to SOURCES, no mail
    server (module-scoped; tests take copies of the database it left)."""
    tmp = tmp_path_factory.mktemp("cycle")
    db = tmp / "kuzet.db"
    env = subprocess_env(tmp / "var", write_sources(tmp / "sources.toml"))
    before = datetime.now(TZ)
    installed_on(db, digest_day_due(before))
    result = kuzet(db, env, "run", "--sample", "--once")
    after = datetime.now(TZ)
    return {
        "db": db,
        "env": env,
        "result": result,
        "digest_keys": days_due_between(before, after),
        "after_first": copy_db(db, tmp / "after-first-cycle.db"),
    }


def test_one_full_cycle_queues_the_alert_and_the_digest_and_writes_them(
    first_cycle: dict[str, Any],
) -> None:
    result = first_cycle["result"]
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for source in SOURCES:
        assert any(re.match(rf"crawl {source}: ok via \w+, \d+ pages, [1-9]", x) for x in lines)
    assert re.search(r"^annotate: [1-9]\d* documents annotated$", result.stdout, re.M)
    assert "health: no new stale source" in lines
    assert "FAILED" not in result.stdout
    assert "alerts: queued alert (summary of the first relevant bills): Kuzet now follows" in (
        result.stdout
    )
    assert "no alert recipients configured" not in result.stdout
    db = first_cycle["db"]
    messages = outbox(db)
    (digest_key,) = (k for k in messages if k.startswith("digest:"))
    assert digest_key in first_cycle["digest_keys"]
    day = digest_key.removeprefix("digest:")
    assert re.search(rf"^digest {day}: (quiet day|\d+ entries), queued #\d+$", result.stdout, re.M)
    assert set(messages) == {"alert:bills:baseline", digest_key}
    assert "mail: 2 sent, 0 waiting for a retry, 0 failed" in lines
    # no mail server: each message is an .eml file, byte for byte what the outbox holds
    files = sorted((Path(first_cycle["env"]["KUZET_VAR"]) / "outbox").glob("*.eml"))
    assert [f.name.rsplit("-", 1)[1] for f in files] == ["alert.eml", "digest.eml"]
    for row in messages.values():
        assert row["status"] == "sent"
        path = Path(row["delivered_via"].removeprefix("file "))
        assert path in files
        assert path.read_bytes() == row["raw"]
    assert parse(files[1].read_bytes())["Subject"].startswith(f"Kuzet digest {day}")
    assert parse(files[0].read_bytes())["To"] == STAFF
    # each module kept its own books: one runs row per check, none added by the scheduler
    jobs_run = [r["job"] for r in rows(db, "SELECT job FROM runs ORDER BY id")]
    assert jobs_run.count("alerts") == 1
    assert jobs_run.count("digest") == 1
    assert jobs_run.count("crawl") == len(SOURCES)
    assert_consistent(db)


def test_a_second_cycle_queues_nothing_new(first_cycle: dict[str, Any], tmp_path: Path) -> None:
    db = copy_db(first_cycle["after_first"], tmp_path / "kuzet.db")
    var = Path(first_cycle["env"]["KUZET_VAR"])
    eml_before = sorted(p.name for p in (var / "outbox").iterdir())
    again = kuzet(db, first_cycle["env"], "run", "--sample", "--once")
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert re.match(r"alerts: nothing new \(\d+ bills followed, \d+ relevant\)$", lines[-3])
    assert re.match(r"digest: nothing due \(the digest of [\d-]+ is in the outbox; ", lines[-2])
    assert lines[-1] == "mail: nothing due"
    assert all(re.search(r", 0 new, 0 changed,", x) for x in lines if x.startswith("crawl "))
    assert len(outbox(db)) == 2
    assert sorted(p.name for p in (var / "outbox").iterdir()) == eml_before
    jobs_run = [r["job"] for r in rows(db, "SELECT job FROM runs ORDER BY id")]
    assert (jobs_run.count("alerts"), jobs_run.count("digest")) == (2, 1)


# -- a bounded real run --------------------------------------------------------------------------


def test_bounded_real_run_with_accelerated_schedules(
    tmp_path: Path, smtp_server: SmtpSink, started: list[Scheduler]
) -> None:
    """`--every 5` on a fresh database: the catch-up crawls, annotates, checks alerts and queues
    the digest while the mail server is still down; the scheduled jobs deliver both once it is
    up, and go on crawling and checking without sending anything twice."""
    db = tmp_path / "kuzet.db"
    config = tmp_path / "kuzet.toml"
    config.write_text("[mail]\nretry_base_seconds = 1\n")  # retry a second after a failure
    env = subprocess_env(
        tmp_path / "var",
        write_sources(tmp_path / "sources.toml"),
        KUZET_CONFIG=str(config),
        **smtp_env(smtp_server.port),
    )
    before = datetime.now(TZ)
    installed_on(db, digest_day_due(before))
    run = Scheduler(db, env, "--every", "5")
    started.append(run)

    def tried() -> bool:
        queued = rows(db, "SELECT kind, attempts FROM outbox")
        return {r["kind"] for r in queued} == {"alert", "digest"} and all(
            r["attempts"] >= 1 for r in queued
        )

    run.wait_until("alert and digest queued and tried", tried)
    assert smtp_server.messages == []
    smtp_server.start()
    run.wait_until("delivery of both", lambda: len(smtp_server.messages) >= 2)

    def rounds() -> bool:  # the accelerated jobs ran again after the catch-up and the delivery
        crawls = rows(db, "SELECT id FROM runs WHERE job = 'crawl' AND status = 'ok'")
        alerts = rows(db, "SELECT id FROM runs WHERE job = 'alerts' AND status = 'ok'")
        return (
            len(crawls) > len(SOURCES)  # a scheduled crawl after the catch-up's
            and len(alerts) >= 3  # the catch-up's, the one that delivered, one more
            and run.log_count("digest: nothing due") >= 1  # the scheduled digest job
        )

    run.wait_until("scheduled crawls, alerts checks and digest jobs", rounds)
    assert run.stop() == 0, run.stderr
    after = datetime.now(TZ)

    assert "catch-up done: crawl ok, annotate ok, health ok, alerts ok, digest ok, mail ok" in (
        run.stderr
    )
    assert "scheduler stopped" in run.stderr
    assert len(smtp_server.messages) == 2
    received = {
        parse(raw)["X-Kuzet-Kind"]: (to, parse(raw)) for _f, to, raw in smtp_server.messages
    }
    assert set(received) == {"alert", "digest"}
    assert received["alert"][0] == [STAFF]
    assert received["alert"][1]["Subject"].startswith("Kuzet now follows")
    assert received["digest"][0] == [READERS]
    messages = outbox(db)
    (digest_key,) = (k for k in messages if k.startswith("digest:"))
    assert digest_key in days_due_between(before, after)
    assert received["digest"][1]["Subject"].startswith(
        f"Kuzet digest {digest_key.removeprefix('digest:')}"
    )
    assert set(messages) == {"alert:bills:baseline", digest_key}
    for row in messages.values():
        assert row["status"] == "sent"
        assert row["attempts"] >= 2  # refused while the server was down, then delivered
        assert row["delivered_via"] == f"smtp 127.0.0.1:{smtp_server.port}"
    # crawl -> annotate -> alert -> digest: everything crawled was annotated, one digest built,
    # every alerts check recorded once and found nothing more after the first
    assert rows(db, "SELECT count(*) FROM documents WHERE rules_version IS NULL")[0][0] == 0
    checks = rows(db, "SELECT message FROM runs WHERE job = 'alerts' ORDER BY id")
    assert checks[0]["message"].endswith("queued 1 alert")
    assert all(c["message"].endswith("queued 0 alerts") for c in checks[1:])
    assert len(rows(db, "SELECT id FROM runs WHERE job = 'digest'")) == 1
    new_docs = rows(db, "SELECT source, new_docs FROM runs WHERE job = 'crawl' ORDER BY id")
    assert {r["source"] for r in new_docs[: len(SOURCES)] if r["new_docs"]} == set(SOURCES)
    assert all(r["new_docs"] == 0 for r in new_docs[len(SOURCES) :])
    assert_consistent(db)


# -- crash and restart: the digest -----------------------------------------------------------


def test_catch_up_after_the_digest_time_sends_the_missed_digest_once(
    first_cycle: dict[str, Any],
    tmp_path: Path,
    smtp_server: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Down over the morning the digest was due: the catch-up built at a fixed 08:00:30 sends
    it; a restart later that morning sends nothing more (in process, with the fixed clock)."""
    db = copy_db(first_cycle["after_first"], tmp_path / "kuzet.db")
    for name, value in subprocess_env(tmp_path / "var", Path(first_cycle["env"]["KUZET_SOURCES"]),
                                      **smtp_env(smtp_server.port)).items():  # fmt: skip
        if name.startswith("KUZET_"):
            monkeypatch.setenv(name, value)
    smtp_server.start()
    # the crawled documents were first stored on `day` (Almaty); its digest is due the next
    # morning at 08:00, and nothing of `day` went out yet (the first cycle sent the day before)
    (first_seen,) = rows(db, "SELECT min(first_seen_at) FROM documents")[0]
    day = datetime.fromisoformat(first_seen.replace("Z", "+00:00")).astimezone(TZ).date()
    assert f"digest:{day}" not in outbox(db)
    # the first cycle sent the digest of the day before `day` or, run before 08:00, of the day
    # before that: then the day in between is due too (a gap is filled, quiet or not)
    gap = [d for d in [day - timedelta(days=1)] if f"digest:{d}" not in outbox(db)]
    morning = datetime.combine(day + timedelta(days=1), time(8, 0, 30), tzinfo=TZ)
    sched = scheduler.build_scheduler(db, sample=True, now=morning, catch_up=True)
    job = sched.get_job("catch-up")
    assert job.func is jobs.catch_up_job
    assert job.args[2:] == (True, morning.isoformat())
    assert set(job.args[1]) == set(SOURCES)  # none was crawled since yesterday's schedule
    job.func(*job.args)
    assert [to for _f, to, _raw in smtp_server.messages] == [[READERS]] * (len(gap) + 1)
    subjects = [parse(raw)["Subject"] for _f, _to, raw in smtp_server.messages]
    assert [x[: len("Kuzet digest YYYY-MM-DD")] for x in subjects] == [
        f"Kuzet digest {d}" for d in [*gap, day]
    ]
    digest = parse(smtp_server.messages[-1][2])
    assert digest["Subject"].startswith(f"Kuzet digest {day}: ")
    assert "quiet day" not in digest["Subject"]  # the crawled documents of that day are in it
    assert outbox(db)[f"digest:{day}"]["status"] == "sent"
    # restarted later that morning (no crawl missed this time): nothing due, nothing sent again
    later = morning + timedelta(minutes=20)
    jobs.catch_up_job(str(db), [], True, later.isoformat())
    jobs.digest_job(str(db), later.isoformat())
    jobs.alerts_job(str(db), later.isoformat())
    assert len(smtp_server.messages) == len(gap) + 1
    digests = [k for k in outbox(db) if k.startswith("digest:")]
    assert len(digests) == 2 + len(gap)  # the first cycle's, and these
    assert digests[-1] == f"digest:{day}"
    assert len(rows(db, "SELECT id FROM runs WHERE job = 'digest'")) == 2 + len(gap)


def test_killed_while_sending_the_digest_then_restarted_it_goes_out_once(
    tmp_path: Path, smtp_server: SmtpSink, started: list[Scheduler]
) -> None:
    """SIGKILL while the digest is queued and its delivery hangs on a mail server that never
    answers; restart against a working one: delivered once. SIGKILL again after it went out;
    restart: nothing sent again, one outbox row."""
    db = tmp_path / "kuzet.db"
    sources = write_sources(tmp_path / "sources.toml", ())
    tarpit = Tarpit()
    try:
        port = int(tarpit.url.rsplit(":", 1)[1])
        env = subprocess_env(tmp_path / "var", sources, **smtp_env(port))
        before = datetime.now(TZ)
        installed_on(db, digest_day_due(before))
        first = Scheduler(db, env)
        started.append(first)
        first.wait_until(
            "the digest queued and its delivery under way",
            lambda: bool(rows(db, "SELECT id FROM outbox WHERE kind = 'digest'") and tarpit.conns),
        )
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    finally:
        tarpit.close()
    after = datetime.now(TZ)
    (row,) = rows(db, "SELECT * FROM outbox")
    assert row["dedupe_key"] in days_due_between(before, after)
    assert (row["status"], row["attempts"]) == ("pending", 0)  # queued, never sent

    smtp_server.start()
    env |= smtp_env(smtp_server.port)
    second = Scheduler(db, env)
    started.append(second)
    second.wait_until("the digest delivered", lambda: len(smtp_server.messages) == 1)
    second.wait_until("the catch-up done", lambda: second.log_count("catch-up done") == 1)
    assert second.stop(signal.SIGKILL) == -signal.SIGKILL

    third = Scheduler(db, env)
    started.append(third)
    third.wait_until("the catch-up done", lambda: third.log_count("catch-up done") == 2)
    assert third.stop() == 0, third.stderr
    assert f"digest: nothing due (the digest of {row['dedupe_key'][7:]} is in the outbox" in (
        third.stderr
    )

    assert len(smtp_server.messages) == 1
    digest = parse(smtp_server.messages[0][2])
    assert digest["Subject"].startswith(f"Kuzet digest {row['dedupe_key'][7:]}")
    assert digest["Message-ID"] == row["message_id"]
    (sent,) = rows(db, "SELECT * FROM outbox")
    assert (sent["id"], sent["status"], sent["attempts"]) == (row["id"], "sent", 1)
    assert len(rows(db, "SELECT id FROM runs WHERE job = 'digest'")) == 1
    assert_consistent(db)


# -- alerts after downtime ------------------------------------------------------------------


def test_alerts_for_events_found_while_down_go_out_once(
    first_cycle: dict[str, Any], tmp_path: Path, smtp_server: SmtpSink, started: list[Scheduler]
) -> None:
    """Step 1 of the bill sequence crawled by hand while no scheduler runs; the scheduler, when
    it starts, annotates it and mails the new bill once; restarted, it mails nothing."""
    db = copy_db(first_cycle["after_first"], tmp_path / "kuzet.db")
    smtp_server.start()
    env = subprocess_env(
        tmp_path / "var",
        Path(first_cycle["env"]["KUZET_SOURCES"]),
        **smtp_env(smtp_server.port),
    )
    crawled = kuzet(db, env, "crawl", "--sample", "--step", "1", "legalacts", "kazinform")
    assert crawled.returncode == 0, crawled.stderr
    assert rows(db, "SELECT count(*) FROM documents WHERE rules_version IS NULL")[0][0] > 0
    before = set(outbox(db))

    first = Scheduler(db, env)
    started.append(first)
    first.wait_until("the catch-up done", lambda: first.log_count("catch-up done") == 1)
    assert first.stop() == 0, first.stderr
    alerts = [(to, parse(raw)) for _f, to, raw in smtp_server.messages]
    alerts = [(to, m) for to, m in alerts if m["X-Kuzet-Kind"] == "alert"]
    assert len(alerts) == 1
    to, alert = alerts[0]
    assert to == [STAFF]
    assert alert["X-Kuzet-Bill"] == BILL
    assert alert["Subject"].startswith("Kuzet: new bill (sogi)")
    new_keys = set(outbox(db)) - before
    assert f"alert:bill:{BILL}:new" in new_keys
    assert all(outbox(db)[k]["status"] == "sent" for k in new_keys)
    received = len(smtp_server.messages)

    second = Scheduler(db, env)
    started.append(second)
    second.wait_until("the catch-up done", lambda: second.log_count("catch-up done") == 2)
    assert second.stop() == 0, second.stderr
    assert len(smtp_server.messages) == received
    assert set(outbox(db)) == before | new_keys
    last_check = rows(db, "SELECT message FROM runs WHERE job = 'alerts' ORDER BY id DESC")[0]
    assert last_check["message"].endswith("0 new events; queued 0 alerts")
    assert_consistent(db)


# -- the digest job's day ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send_time", "now", "expected"),
    [
        ("08:00", "2026-03-03T08:00:00+05:00", date(2026, 3, 2)),
        ("08:00", "2026-03-03T07:59:59+05:00", date(2026, 3, 1)),  # the 2nd's is due at 08:00
        ("00:00", "2026-03-03T00:05:00+05:00", date(2026, 3, 2)),  # in UTC still 2 March 19:05
    ],
)
def test_the_digest_job_builds_the_almaty_day_before_now(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    send_time: str,
    now: str,
    expected: date,
) -> None:
    config = tmp_path / "kuzet.toml"
    config.write_text(f"[digest]\ntime = '{send_time}'\n[scheduler]\ndigest_catch_up_days = 1\n")
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    monkeypatch.setenv("KUZET_DIGEST_TO", READERS)
    stored = {
        date(2026, 3, 1): ("Первое марта, полдень", "2026-03-01T12:00:00+05:00"),
        date(2026, 3, 2): ("Второе марта, поздний вечер", "2026-03-02T23:50:00+05:00"),
        date(2026, 3, 3): ("Третье марта, после полуночи", "2026-03-03T00:02:00+05:00"),
    }
    for n, (title, when) in enumerate(stored.values()):
        put(store, when, url=f"https://vlast.kz/{n}", title=title, text=distinct_text(n),
            topics={"sogi": 5.0}, terms=["гей"])  # fmt: skip
    store.close()
    db = str(store.path)

    jobs.digest_job(db, now)
    jobs.digest_job(db, now)  # again at the same moment: nothing more
    messages = outbox(store.path)
    assert list(messages) == [f"digest:{expected}"]
    row = messages[f"digest:{expected}"]
    assert row["status"] == "sent"  # no mail server: written as an .eml file
    assert row["subject"] == f"Kuzet digest {expected}: 1 story"
    for day, (title, _when) in stored.items():
        assert (title in row["body_text"]) == (day == expected), title
    written = sorted(p.name for p in (tmp_path / "var" / "digests").iterdir())
    assert written == [f"{expected}.html"]
    (run,) = rows(store.path, "SELECT status, message FROM runs WHERE job = 'digest'")
    assert run["status"] == "ok"
    assert run["message"].startswith(f"{expected}: 1 entries, queued #")


# -- a missed digest run, a partial digest ---------------------------------------------------


def test_the_alerts_job_makes_up_a_digest_run_that_was_missed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 08:00 digest run dropped (crawls held the one worker past its hour of grace): the
    alerts job, every 15 minutes, builds and sends the digest due. Before 08:00, and once it is
    queued, it builds nothing (no digest run is even recorded)."""
    monkeypatch.setenv("KUZET_DIGEST_TO", READERS)
    put(store, "2026-03-01T12:00:00+05:00", url="https://vlast.kz/1", title="Первое марта",
        text=distinct_text(1), topics={"sogi": 5.0}, terms=["гей"])  # fmt: skip
    store.close()
    db = str(store.path)
    sched = scheduler.build_scheduler(store.path, now=datetime(2026, 3, 2, 7, 0, tzinfo=TZ))
    digest, alerts = sched.get_job("digest"), sched.get_job("alerts")
    assert digest.misfire_grace_time == 3600
    missed = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)  # dropped if not started by 09:00
    assert digest.trigger.get_next_fire_time(None, missed - timedelta(hours=1)) == missed
    made_up = alerts.trigger.get_next_fire_time(None, missed + timedelta(hours=1, seconds=1))
    assert made_up == datetime(2026, 3, 2, 9, 15, tzinfo=TZ)
    assert alerts.func is jobs.alerts_job

    def digest_runs() -> list[sqlite3.Row]:
        return rows(store.path, "SELECT message FROM runs WHERE job = 'digest'")

    jobs.alerts_job(db, "2026-03-02T07:45:00+05:00")
    assert [k for k in outbox(store.path) if k.startswith("digest")] == []
    assert digest_runs() == []
    jobs.alerts_job(db, made_up.isoformat())
    row = outbox(store.path)["digest:2026-03-01"]
    assert row["status"] == "sent"  # no mail server: an .eml file
    assert row["subject"] == "Kuzet digest 2026-03-01: 1 story"
    assert "Первое марта" in row["body_text"]
    jobs.alerts_job(db, (made_up + timedelta(minutes=15)).isoformat())
    assert [k for k in outbox(store.path) if k.startswith("digest")] == ["digest:2026-03-01"]
    assert len(digest_runs()) == 1
    checks = rows(store.path, "SELECT status FROM runs WHERE job = 'alerts'")
    assert [c["status"] for c in checks] == ["ok"] * 3  # the alerts were checked each time


def test_a_digest_of_today_is_partial_and_the_days_digest_still_goes_out(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kuzet digest --date today --send` in the afternoon (as `make demo` does): a partial
    digest, marked so, queued once however often it is run that day; the next morning the
    day's own digest goes out in full, with what was stored after the partial one."""
    from kuzet.digest import run_digest

    monkeypatch.setenv("KUZET_DIGEST_TO", READERS)
    put(store, "2026-03-01T10:00:00+05:00", url="https://vlast.kz/1", title="Утренняя новость",
        text=distinct_text(1), topics={"sogi": 5.0}, terms=["гей"])  # fmt: skip
    afternoon = datetime(2026, 3, 1, 15, 42, tzinfo=TZ)
    first = run_digest(store, date(2026, 3, 1), send=True, now=afternoon)
    again = run_digest(store, date(2026, 3, 1), send=True, now=afternoon + timedelta(hours=1))
    assert (first.partial, first.dedupe_key) == (True, "digest:partial:2026-03-01")
    assert first.queued_id is not None
    assert (again.queued_id, again.already_queued) == (None, True)
    partial = outbox(store.path)["digest:partial:2026-03-01"]
    assert partial["subject"] == "[partial, up to 15:42] Kuzet digest 2026-03-01: 1 story"
    heading = "Partial digest: Sunday 1 March 2026, up to 15:42 (Asia/Almaty)"
    assert partial["body_text"].startswith(f"KUZET DAILY DIGEST: {heading}\n")
    assert f">{heading}</p>" in partial["body_html"]
    assert f"<title>{partial['subject']}</title>" in partial["body_html"]
    assert list(outbox(store.path)) == ["digest:partial:2026-03-01"]
    put(store, "2026-03-01T20:00:00+05:00", url="https://vlast.kz/2", title="Вечерняя новость",
        text=distinct_text(2), topics={"sogi": 5.0}, terms=["гей"])  # fmt: skip
    store.close()
    jobs.digest_job(str(store.path), "2026-03-02T08:00:00+05:00")
    full = outbox(store.path)["digest:2026-03-01"]
    assert full["subject"] == "Kuzet digest 2026-03-01: 2 stories"
    assert "Утренняя новость" in full["body_text"]
    assert "Вечерняя новость" in full["body_text"]
    assert "partial" not in full["body_text"].lower()
    assert list(outbox(store.path)) == ["digest:partial:2026-03-01", "digest:2026-03-01"]
