"""The scheduler's jobs and triggers from a fixed clock, catch-up after downtime, the lock."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import scheduler
from kuzet import jobs, mail, ops
from kuzet.config import load_sources
from kuzet.errors import ConfigError, SchedulerRunningError
from kuzet.settings import load_settings
from kuzet.store import Store
from tests.digest_helpers import distinct_text, put

ROOT = Path(__file__).resolve().parent.parent
TZ = scheduler.TZ
#: Monday 2 March 2026, 07:55:30 in Almaty (seconds set so no job fires exactly "now").
NOW = datetime(2026, 3, 2, 7, 55, 30, tzinfo=TZ)


def cron_next(expr: str, after: datetime) -> datetime:
    """The next minute after `after` matching a crontab expression, by brute force (the test's
    own reading of cron: weekday 0 or 7 is Sunday)."""

    def matches(field: str, value: int, low: int, high: int, weekday: bool = False) -> bool:
        for part in field.split(","):
            span, _, step = part.partition("/")
            if span == "*":
                a, b = low, high
            elif "-" in span:
                a, b = (int(x) for x in span.split("-"))
            else:
                a, b = int(span), (high if step else int(span))
            values = range(a, b + 1, int(step or 1))
            if value in values or (weekday and value == 0 and 7 in values):
                return True
        return False

    minute, hour, day, month, weekday = expr.split()
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(60 * 24 * 400):
        if (
            matches(minute, t.minute, 0, 59)
            and matches(hour, t.hour, 0, 23)
            and matches(day, t.day, 1, 31)
            and matches(month, t.month, 1, 12)
            and matches(weekday, t.isoweekday() % 7, 0, 6, weekday=True)
        ):
            return t
        t += timedelta(minutes=1)
    raise AssertionError(f"{expr} never fires")


def test_every_job_fires_when_configured_from_a_fixed_clock(db_path: Path) -> None:
    sched = scheduler.build_scheduler(db_path, now=NOW)
    sources = load_sources().select()
    by_id = {job.id: job for job in sched.get_jobs()}
    assert set(by_id) == {"annotate", "alerts", "digest"} | {f"crawl:{s.id}" for s in sources}
    expected = {  # the interval jobs on their grid from local midnight: :00, :15, :30, :45
        "alerts": datetime(2026, 3, 2, 8, 0, tzinfo=TZ),
        "annotate": datetime(2026, 3, 2, 8, 0, tzinfo=TZ),
        "digest": datetime(2026, 3, 2, 8, 0, tzinfo=TZ),
    }
    expected |= {f"crawl:{s.id}": cron_next(s.schedule, NOW) for s in sources}
    for job_id, job in by_id.items():
        first = job.trigger.get_next_fire_time(None, NOW)
        assert first == expected[job_id], job_id
        assert job.max_instances == 1, job_id
        assert job.coalesce is True, job_id
        assert job.misfire_grace_time == 3600, job_id
        assert job.func.__module__ == "kuzet.jobs"
        assert "." not in job.func.__qualname__
        assert all(isinstance(a, str | bool) for a in job.args), job_id
    # spot checks against the calendar, not just the oracle
    assert expected["crawl:mazhilis"] == datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # "* * 1": Monday
    assert expected["crawl:vlast"] == datetime(2026, 3, 2, 8, 10, tzinfo=TZ)
    assert expected["crawl:adilet"] == datetime(2026, 3, 3, 7, 0, tzinfo=TZ)
    assert by_id["crawl:vlast"].args == (str(db_path), "vlast", False)
    # and the second fire: intervals repeat, the digest is daily
    alerts = by_id["alerts"].trigger
    assert alerts.get_next_fire_time(expected["alerts"], expected["alerts"]) == datetime(
        2026, 3, 2, 8, 15, tzinfo=TZ
    )
    digest = by_id["digest"].trigger
    assert digest.get_next_fire_time(expected["digest"], expected["digest"]) == datetime(
        2026, 3, 3, 8, 0, tzinfo=TZ
    )


def test_settings_change_intervals_digest_time_and_grace(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "k.toml"
    config.write_text(
        "[digest]\ntime = '07:30'\n[scheduler]\nalerts_every_minutes = 5\n"
        "misfire_grace_seconds = 120\n"
    )
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    by_id = {j.id: j for j in scheduler.build_scheduler(db_path, now=NOW).get_jobs()}
    assert by_id["alerts"].trigger.get_next_fire_time(None, NOW) == datetime(
        2026, 3, 2, 8, 0, tzinfo=TZ
    )
    at_8_01 = datetime(2026, 3, 2, 8, 1, tzinfo=TZ)
    assert by_id["alerts"].trigger.get_next_fire_time(None, at_8_01) == datetime(
        2026, 3, 2, 8, 5, tzinfo=TZ
    )
    assert by_id["digest"].trigger.get_next_fire_time(None, NOW) == datetime(
        2026, 3, 3, 7, 30, tzinfo=TZ
    )
    assert {j.misfire_grace_time for j in by_id.values()} == {120}
    config.write_text("[scheduler]\nalerts_every_minutes = 0\n")
    with pytest.raises(ConfigError, match="alerts_every_minutes: must be a whole number from 1"):
        scheduler.build_scheduler(db_path, now=NOW)


def test_every_runs_each_job_at_that_interval(db_path: Path) -> None:
    by_id = {j.id: j for j in scheduler.build_scheduler(db_path, now=NOW, every=5).get_jobs()}
    sources = load_sources().select()
    assert set(by_id) == {"annotate", "alerts", "digest"} | {f"crawl:{s.id}" for s in sources}
    for job_id, job in by_id.items():
        first = job.trigger.get_next_fire_time(None, NOW)
        assert first == NOW + timedelta(seconds=5), job_id
        assert job.trigger.get_next_fire_time(first, first) == NOW + timedelta(seconds=10)
        assert job.name.endswith("every 5 s"), job.name
        assert (job.max_instances, job.coalesce) == (1, True)
    with pytest.raises(ConfigError, match="at least 1 second"):
        scheduler.build_scheduler(db_path, now=NOW, every=0)


@pytest.mark.parametrize(
    "args",
    [("--every", "5"), ("--sample", "--once", "--every", "5"), ("--sample", "--every", "0")],
)
def test_every_goes_only_with_sample_and_without_once(
    run, db_path: Path, args: tuple[str, ...]
) -> None:
    result = run("run", *args)
    assert result.exit_code == 2
    assert "--every" in result.output.splitlines()[-1]
    assert not db_path.exists()


def test_interval_jobs_fire_on_one_grid_whichever_process_computes_them(db_path: Path, run) -> None:
    """The running scheduler and each `kuzet schedule`, built at different moments, name the
    same fire times for the interval jobs: a grid from local midnight (:00, :15, :30, :45)."""
    built = [NOW, NOW + timedelta(minutes=7, seconds=13), NOW + timedelta(days=40, hours=5)]
    scheds = [scheduler.build_scheduler(db_path, now=b) for b in built]
    for probe, alerts, annotate in (
        (datetime(2026, 3, 2, 10, 7, 41, tzinfo=TZ), (10, 15), (11, 0)),
        (datetime(2026, 3, 2, 10, 11, 2, tzinfo=TZ), (10, 15), (11, 0)),
        (datetime(2026, 3, 2, 23, 59, 59, tzinfo=TZ), (0, 0), (0, 0)),
        (datetime(2026, 7, 19, 13, 30, 0, 1, tzinfo=TZ), (13, 45), (14, 0)),
    ):
        for sched in scheds:
            table = {r["id"]: r["next_run"] for r in scheduler.job_table(sched, probe)}
            for job_id, (hour, minute) in (("alerts", alerts), ("annotate", annotate)):
                when = table[job_id]
                assert (when.hour, when.minute, when.second) == (hour, minute, 0), job_id
                assert timedelta(0) < when - probe <= timedelta(hours=1), job_id
    # the command prints grid times too
    result = run("schedule")
    assert result.exit_code == 0, result.output
    times = {line.split()[2]: line.split()[1] for line in result.stdout.splitlines()[1:]}
    assert times["alerts"].endswith((":00", ":15", ":30", ":45"))
    assert times["annotate"].endswith(":00")


BAD_SCHEDULER_SETTINGS = [
    ("misfire_grace_seconds", "0", "from 1 to 86400"),
    ("alerts_every_minutes", "0", "from 1 to 1440"),
    ("annotate_every_minutes", "1441", "from 1 to 1440"),
    ("crawl_time_limit_seconds", "-1", "from 0 to 86400"),
    ("crawl_kill_grace_seconds", "0", "from 1 to 600"),
    ("digest_catch_up_days", "0", "from 1 to 30"),
    ("log_max_bytes", "10", ">= 1000"),
    ("log_backups", "0", "from 1 to 1000"),
    ("misfire_grace_seconds", "1.5", "expected a whole number from 1 to 86400"),
]


@pytest.mark.parametrize(("key", "value", "span"), BAD_SCHEDULER_SETTINGS)
def test_a_scheduler_setting_out_of_range_is_one_line_naming_it(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, span: str
) -> None:
    config = tmp_path / "k.toml"
    config.write_text(f"[scheduler]\n{key} = {value}\n")
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    for command in (("schedule",), ("run", "--once")):
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        assert result.output.splitlines() == [
            f"Error: {config}: [scheduler] {key}: "
            f"{'' if span.startswith('expected') else 'must be a whole number '}{span} "
            f"(got {value})"
        ], command


def test_every_scheduler_setting_works_at_both_ends_of_its_range(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the check lets through, APScheduler and the jobs accept: each key at its lowest,
    then at its highest."""
    from kuzet.settings import SPEC

    ints = {k: key for k, key in SPEC["scheduler"].items() if key.type == "int"}
    assert {b[0] for b in BAD_SCHEDULER_SETTINGS} == set(ints)  # every key is checked
    config = tmp_path / "k.toml"
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    for end in ("low", "high"):
        values = {k: key.low if end == "low" else (key.high or 10**9) for k, key in ints.items()}
        config.write_text("[scheduler]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))
        settings = load_settings()
        sched = scheduler.build_scheduler(db_path, now=NOW)
        assert {j.misfire_grace_time for j in sched.get_jobs()} == {values["misfire_grace_seconds"]}
        alerts = sched.get_job("alerts").trigger
        first = alerts.get_next_fire_time(None, NOW)
        assert alerts.get_next_fire_time(first, first) - first == timedelta(
            minutes=values["alerts_every_minutes"]
        )
        assert scheduler.job_table(sched, NOW)[0]["next_run"] > NOW
        with Store.open(db_path) as store:
            recorded_on(store, NOW - timedelta(days=90))
            assert len(jobs.digest_days_due(store, settings, NOW)) == min(
                values["digest_catch_up_days"], 90
            )


@pytest.mark.parametrize(
    ("expr", "weekdays"),
    [
        ("0 9 * * 1", {"Monday"}),
        ("0 9 * * 0", {"Sunday"}),
        ("0 9 * * 7", {"Sunday"}),
        ("0 9 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("0 9 * * 5-7", {"Friday", "Saturday", "Sunday"}),
        ("0 9 * * */3", {"Sunday", "Wednesday", "Saturday"}),
        ("0 9 * * 2,4", {"Tuesday", "Thursday"}),
    ],
)
def test_weekdays_are_read_as_cron_reads_them(expr: str, weekdays: set[str]) -> None:
    trigger = scheduler.cron_trigger(expr)
    seen, t = set(), NOW
    for _ in range(14):
        t = trigger.get_next_fire_time(None, t + timedelta(minutes=1))
        assert t == cron_next(expr, t - timedelta(minutes=1))
        seen.add(t.strftime("%A"))
    assert seen == weekdays


@pytest.mark.parametrize(
    ("expr", "error"),
    [
        ("0 9 1 * 1", "restricts both the day of the month and the day of the week"),
        ("0 9 * * 8", "bad day of week '8'"),
        ("61 * * * *", "schedule '61 \\* \\* \\* \\*'"),
    ],
)
def test_bad_schedules_are_one_line_errors(expr: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        scheduler.cron_trigger(expr, where="source 'x'")


def test_schedule_command_prints_every_job_with_its_next_time(run) -> None:
    result = run("schedule")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("next run (Asia/Almaty)")
    ids = {line.split()[2] for line in lines[1:]}
    assert ids == {"annotate", "alerts", "digest"} | {
        f"crawl:{s.id}" for s in load_sources().select()
    }
    assert "crawl mazhilis, cron '0 9 * * 1'" in result.stdout


def test_a_skipped_or_a_missed_run_is_logged_once(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real scheduler from build_scheduler: a job still running when it is due again is
    skipped, a job that starts past its grace time is missed; each is logged once, by our
    listener (APScheduler's own line about it is dropped)."""
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

    sched = scheduler.build_scheduler(db_path, now=NOW)
    sched.remove_all_jobs()
    running, release = threading.Event(), threading.Event()
    seen = {EVENT_JOB_MAX_INSTANCES: threading.Event(), EVENT_JOB_MISSED: threading.Event()}
    sched.add_listener(  # added after JobListener: called after it has logged
        lambda event: seen[event.code].set(), EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
    )

    def busy() -> None:
        running.set()
        release.wait(30)

    caplog.set_level(logging.INFO)
    thread = threading.Thread(target=sched.start, daemon=True)
    thread.start()
    try:
        now = datetime.now(TZ)
        sched.add_job(busy, "interval", hours=1, next_run_time=now, id="busy", name="busy")
        assert running.wait(30)
        sched.modify_job("busy", next_run_time=datetime.now(TZ))  # due again while it runs
        assert seen[EVENT_JOB_MAX_INSTANCES].wait(30)
        sched.add_job(busy, "date", run_date=now - timedelta(minutes=2), id="late",
                      name="late", misfire_grace_time=1)  # fmt: skip
        release.set()
        assert seen[EVENT_JOB_MISSED].wait(30)
    finally:
        release.set()
        sched.shutdown(wait=False)
        thread.join(30)
    lines = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    skipped = [line for line in lines if "skipped" in line[1]]
    missed = [line for line in lines if "missed" in line[1]]
    assert len(skipped) == 1, skipped
    assert skipped[0][0] == "kuzet.scheduler"
    assert skipped[0][1].startswith("job busy skipped its run of ")
    assert len(missed) == 1, missed
    assert missed[0][0] == "kuzet.scheduler"
    assert missed[0][1].startswith("job late missed its run of ")


# -- catch-up after downtime --------------------------------------------------------------------


def crawl_run_at(store: Store, source: str, started: datetime) -> None:
    run_id = store.start_run("crawl", source)
    store.finish_run(run_id, "ok", pages=1)
    iso = started.astimezone(TZ).isoformat()
    store.db.execute("UPDATE runs SET started_at = ? WHERE id = ?", [iso, run_id])
    store.db.conn.commit()


def test_start_catches_up_with_one_cycle_crawling_only_missed_sources(store: Store) -> None:
    crawl_run_at(store, "vlast", NOW.replace(hour=7, minute=10, second=5))  # '10 * * * *': on time
    crawl_run_at(store, "tengrinews", NOW.replace(hour=7, minute=0, second=3))  # '*/30': missed
    crawl_run_at(store, "adilet", NOW - timedelta(hours=24, minutes=30))  # '0 7 * * *': missed
    crawl_run_at(store, "mazhilis", NOW - timedelta(days=6))  # Monday 09:00: not yet due
    sched = scheduler.build_scheduler(store.path, now=NOW, catch_up=True)
    catch_up = sched.get_job("catch-up")
    assert catch_up.trigger.get_next_fire_time(None, NOW) == NOW
    assert catch_up.func is jobs.catch_up_job
    db, missed, sample, now = catch_up.args
    assert (db, sample, now) == (str(store.path), False, NOW.isoformat())  # the fixed clock
    configured = [s.id for s in load_sources().select()]  # in configuration order
    on_time = {"vlast", "mazhilis"}
    assert missed == [s for s in configured if s not in on_time]
    assert {"tengrinews", "adilet"} <= set(missed)
    # it comes first and runs once; every other job waits for its trigger
    assert catch_up.trigger.get_next_fire_time(NOW, NOW + timedelta(seconds=1)) is None
    rows = scheduler.job_table(sched, NOW)
    assert rows[0]["id"] == "catch-up"
    assert all(r["next_run"] > NOW for r in rows[1:])
    table = {r["id"]: r["next_run"] for r in rows}
    assert table["crawl:vlast"] == datetime(2026, 3, 2, 8, 10, tzinfo=TZ)
    assert table["crawl:mazhilis"] == datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    # nothing missed: the catch-up still runs (annotate, alerts, digest), crawling nothing
    for source in missed:
        crawl_run_at(store, source, NOW - timedelta(minutes=1))
    again = scheduler.build_scheduler(store.path, now=NOW, catch_up=True)
    assert again.get_job("catch-up").args[1] == []


def test_catch_up_cycle_runs_its_steps_in_pipeline_order(db_path: Path) -> None:
    results = jobs.run_cycle(db_path, sources=(), steps=("crawl", "annotate", "health", "mail"))
    assert [(r.name, r.ok) for r in results] == [
        ("crawl", True),
        ("annotate", True),
        ("health", True),
        ("mail", True),
    ]
    assert results[0].lines == ["crawl: no source missed its scheduled crawl"]


def queue_digest(store: Store, day: str) -> None:
    out = mail.Outgoing("digest", f"digest:{day}", ["staff@example.org"], f"Digest {day}", "-")
    assert mail.queue(store, out) is not None


def recorded_on(store: Store, when: datetime) -> None:
    """Kuzet recorded something at `when` (a run, as an import or a crawl writes one)."""
    run_id = store.start_run("import")
    store.finish_run(run_id, "ok")
    iso = when.astimezone(TZ).isoformat()
    store.db.execute("UPDATE runs SET started_at = ? WHERE id = ?", [iso, run_id])
    store.db.conn.commit()


def test_digest_days_due_are_the_window_days_not_queued(store: Store) -> None:
    settings = load_settings()
    before_eight = NOW  # 07:55: yesterday's digest is not due yet
    after_eight = NOW.replace(hour=8, minute=0, second=1)
    due = jobs.digest_days_due
    assert due(store, settings, after_eight) == []  # nothing recorded: nothing to report
    assert jobs.why_no_digest_due(store, settings, after_eight) == "the database holds nothing yet"
    recorded_on(store, NOW - timedelta(days=30))
    assert due(store, settings, before_eight) == [date(2026, 2, 26), date(2026, 2, 27),
                                                  date(2026, 2, 28)]  # fmt: skip
    assert due(store, settings, after_eight) == [date(2026, 2, 27), date(2026, 2, 28),
                                                 date(2026, 3, 1)]  # fmt: skip
    # a later day sent by hand hides no earlier gap
    queue_digest(store, "2026-03-01")
    assert due(store, settings, after_eight) == [date(2026, 2, 27), date(2026, 2, 28)]
    queue_digest(store, "2026-02-27")
    assert due(store, settings, after_eight) == [date(2026, 2, 28)]
    queue_digest(store, "2026-02-28")
    assert due(store, settings, after_eight) == []
    assert jobs.why_no_digest_due(store, settings, after_eight) == (
        "the digest of 2026-03-01 is in the outbox; the next, of 2026-03-02, goes out on "
        "2026-03-03 at 08:00"
    )
    # a partial digest of a day (built before it was over) is not that day's digest
    queue_digest(store, "partial:2026-03-02")
    assert due(store, settings, after_eight + timedelta(days=1)) == [date(2026, 3, 2)]
    # down for a week: the window's days only, oldest first
    assert due(store, settings, after_eight + timedelta(days=7)) == [
        date(2026, 3, 6),
        date(2026, 3, 7),
        date(2026, 3, 8),
    ]


def test_no_digest_is_due_for_days_before_the_database_recorded_anything(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Installed on 1 March at 10:00 (a first run): the 1st's digest is due on the 2nd at 08:00,
    and nothing before it, whatever the window; the cycle says why when nothing is due."""
    settings = load_settings()
    recorded_on(store, datetime(2026, 3, 1, 10, 0, tzinfo=TZ))
    assert jobs.digest_days_due(store, settings, NOW) == []  # 07:55 on the 2nd
    assert jobs.why_no_digest_due(store, settings, NOW) == (
        "Kuzet holds nothing from before 2026-03-01; the digest of 2026-03-01 goes out on "
        "2026-03-02 at 08:00"
    )
    assert jobs.digest_step(store.path, settings, now=NOW) == [
        f"digest: nothing due ({jobs.why_no_digest_due(store, settings, NOW)})"
    ]
    eight = NOW.replace(hour=8, minute=0, second=0)
    assert jobs.digest_days_due(store, settings, eight) == [date(2026, 3, 1)]
    # a document stored at 23:30 on 28 February Almaty (18:30 UTC) is a record of the 28th
    put(store, "2026-02-28T23:30:00+05:00", url="https://vlast.kz/x", title="Поздно вечером",
        text=distinct_text(1), topics={"sogi": 4.0}, terms=["гей"])  # fmt: skip
    assert jobs.digest_days_due(store, settings, eight) == [date(2026, 2, 28), date(2026, 3, 1)]
    config = tmp_path / "k.toml"
    config.write_text("[scheduler]\ndigest_catch_up_days = 1\n")
    monkeypatch.setenv("KUZET_CONFIG", str(config))
    assert jobs.digest_days_due(store, load_settings(), eight) == [date(2026, 3, 1)]


def test_stop_request_makes_jobs_do_nothing(db_path: Path) -> None:
    jobs.STOP.set()
    try:
        jobs.crawl_job(str(db_path), "vlast", True)
        jobs.annotate_job(str(db_path))
    finally:
        jobs.STOP.clear()
    assert not db_path.exists()  # not even opened


# -- one scheduler per database ------------------------------------------------------------------


def test_a_second_scheduler_is_refused_naming_the_first(db_path: Path, run) -> None:
    with ops.SchedulerLock(db_path):
        assert ops.lock_holder(db_path) == os.getpid()
        with pytest.raises(SchedulerRunningError, match=f"pid {os.getpid()}"):
            ops.SchedulerLock(db_path).acquire()
        result = run("run", "--once")
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"Error: another Kuzet scheduler (pid {os.getpid()}) is already running on "
            f"{db_path} (lock {db_path}.scheduler.lock); stop it first"
        )
        other = subprocess.run(
            [sys.executable, "scheduler.py", "--db", str(db_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 1
        assert other.stderr.count("\n") == 1
        assert f"another Kuzet scheduler (pid {os.getpid()})" in other.stderr
    assert ops.lock_holder(db_path) is None


def test_the_lock_goes_with_a_process_that_dies(db_path: Path) -> None:
    code = (
        "import sys, time; from kuzet.ops import SchedulerLock; "
        f"lock = SchedulerLock({str(db_path)!r}); lock.acquire(); print('locked', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        assert ops.lock_holder(db_path) == holder.pid
        holder.kill()
        holder.wait()
        with ops.SchedulerLock(db_path):  # no stale lock left behind
            assert ops.lock_holder(db_path) == os.getpid()
    finally:
        holder.kill()
        holder.wait()
