"""`kuzet digest` end to end: the command, the outbox to a real SMTP server, a real browser."""

from __future__ import annotations

import email
import os
import re
from email import policy
from pathlib import Path

import pytest

from kuzet.store import Store
from tests.digest_helpers import put, sql
from tests.test_web import CHROMIUM, CHROMIUM_ARGS

DAY = "2025-06-10"  # in the past on any machine running this
STORED = "2025-06-10T06:00:00+00:00"


@pytest.fixture
def day_db(db_path: Path) -> Path:
    """A database with three flagged stories on DAY (two outlets for one of them)."""
    story = "Суд оштрафовал двух активистов за пост о квир-фестивале. " * 6
    with Store.open(db_path) as store:
        put(
            store,
            STORED,
            url="https://vlast.kz/n/1",
            title="Активистов оштрафовали",
            text=story,
            topics={"sogi": 8.0},
            terms=["квир-фестивале"],
        )
        put(
            store,
            STORED,
            url="https://orda.kz/n/2",
            title="Штраф за пост",
            source="orda",
            text=story + "Об этом сообщает Vlast.",
            topics={"sogi": 7.0},
            terms=["квир-фестивале"],
        )
        put(
            store,
            STORED,
            url="https://hrw.org/n/3",
            title="Attack on a <b>gay</b> man",
            source="hrw",
            lang="en",
            text="Police ignored a homophobic attack on a gay man.",
            topics={"hate_crime": 6.0, "sogi": 3.0},
            terms=["homophobic attack"],
        )
    return db_path


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, smtp_server: object) -> object:
    monkeypatch.setenv("KUZET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KUZET_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("KUZET_SMTP_SECURITY", "none")
    monkeypatch.setenv("KUZET_DIGEST_TO", "policy@example.org")
    return smtp_server


def test_send_delivers_to_the_mail_server_once(run, day_db: Path, smtp_env: object) -> None:
    smtp_env.start()
    first = run("digest", "--date", DAY, "--send")
    assert first.exit_code == 0, first.output
    assert "2 stories (3 documents), 0 bills" in first.output
    assert "queued as outbox message #1" in first.output
    assert "outbox #1: sent (smtp 127.0.0.1:" in first.output
    assert len(smtp_env.messages) == 1
    _sender, recipients, raw = smtp_env.messages[0]
    assert recipients == ["policy@example.org"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "Kuzet digest 2025-06-10: 2 stories (spike: SOGI)"
    assert msg["X-Kuzet-Kind"] == "digest"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "Sexual orientation and gender identity (SOGI)" in html
    assert "Also reported by" in html
    assert "Also reported by orda" in text
    assert "&lt;b&gt;gay&lt;/b&gt;" in html
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert f'src="cid:{images[0]["Content-ID"].strip("<>")}"' in html
    assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"

    again = run("digest", "--date", DAY, "--send")
    assert again.exit_code == 0, again.output
    assert "queued before: not queued again" in again.output
    assert len(smtp_env.messages) == 1  # not sent twice
    rows = sql(day_db, "SELECT dedupe_key, status FROM outbox")
    assert rows == [("digest:2025-06-10", "sent")]


def test_send_while_the_server_is_down_keeps_the_message(
    run, day_db: Path, smtp_env: object
) -> None:
    result = run("digest", "--date", DAY, "--send")  # server not started
    assert result.exit_code == 1
    assert "unreachable" in result.output
    assert sql(day_db, "SELECT status FROM outbox") == [("pending",)]


def test_send_without_recipients_is_refused(
    run, day_db: Path, smtp_env: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUZET_DIGEST_TO")
    result = run("digest", "--date", DAY, "--send")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: the digest has no recipients: set [digest] to in the settings file or "
        "KUZET_DIGEST_TO"
    )
    assert sql(day_db, "SELECT count(*) FROM outbox") == [(0,)]


def test_without_a_mail_server_the_digest_becomes_an_eml_file(
    run, day_db: Path, tmp_path: Path
) -> None:
    result = run("digest", "--date", DAY, "--send")
    assert result.exit_code == 0, result.output
    files = list((tmp_path / "var" / "outbox").glob("*-digest.eml"))
    assert len(files) == 1
    assert f"file {files[0]}" in result.output
    assert (tmp_path / "var" / "digests" / f"{DAY}.html").is_file()


def test_todays_digest_is_partial_and_queued_once_a_day(run, db_path: Path) -> None:
    """`kuzet digest --date today --send` twice (a second `make demo`): one partial digest,
    under its own key, marked partial; the day's digest key is left for the next morning."""
    from datetime import datetime

    from kuzet.digest import TZ

    now = datetime.now(TZ)
    with Store.open(db_path) as store:
        put(store, now.isoformat(), url="https://vlast.kz/n/9", title="Сегодняшняя новость",
            text="Суд оштрафовал активистов за пост. " * 6, topics={"sogi": 8.0},
            terms=["активистов"])  # fmt: skip
    first = run("digest", "--date", "today", "--send")
    second = run("digest", "--date", "today", "--send")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    today = now.date().isoformat()
    assert first.output.startswith(f"digest of {today} (partial: the day is not over): 1 stor")
    assert "queued as outbox message #1" in first.output
    assert "outbox #1: sent (file " in first.output
    assert "a partial digest of this day was queued before: not queued again" in second.output
    assert "outbox #1: sent (file " in second.output
    rows = sql(db_path, "SELECT dedupe_key, subject FROM outbox")
    assert [key for key, _subject in rows] == [f"digest:partial:{today}"]
    assert re.fullmatch(rf"\[partial, up to \d\d:\d\d\] Kuzet digest {today}: 1 story", rows[0][1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "10.06.2025"], "is not a date (expected YYYY-MM-DD, today or yesterday)"),
        (["--date", "2999-01-01"], "2999-01-01 is in the future"),
        (["--date", DAY, "--out", "/nonexistent/dir/d.html"], "does not exist"),
    ],
)
def test_bad_input_is_one_line(run, day_db: Path, args: list[str], message: str) -> None:
    result = run("digest", *args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert message in lines[0]


def test_digest_of_a_missing_database_is_an_error(run) -> None:
    result = run("digest", "--date", DAY)
    assert result.exit_code == 1
    assert "no database at" in result.output


@pytest.mark.browser
def test_chromium_renders_the_digest(run, day_db: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with Store.open(day_db) as store:  # a title that would run script if it were not escaped
        put(
            store,
            STORED,
            url="https://vlast.kz/x",
            title="<img src=x onerror=window.pwned=1>",
            text="Нападение на гея в Алматы",
            topics={"hate_crime": 9.0},
            terms=["гея"],
        )
    assert run("digest", "--date", DAY).exit_code == 0
    page_file = tmp_path / "var" / "digests" / f"{DAY}.html"
    shot = tmp_path / "var" / "digest.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        headings = page.locator("h1, h2").all_inner_texts()
        chart_width = page.eval_on_selector("img", "img => img.naturalWidth")
        pwned = page.evaluate("() => window.pwned === undefined")
        scripts = page.locator("script").count()
        page.screenshot(path=str(shot), full_page=True)
        keep = os.environ.get("KUZET_KEEP_SCREENSHOT")
        if keep:
            page.screenshot(path=keep, full_page=True)
        browser.close()
    assert headings == [
        "Kuzet daily digest",
        "New and moved bills",
        "Sexual orientation and gender identity (SOGI)",
        "Hate crime",
    ]
    assert chart_width == 1200  # the embedded chart decoded (drawn at twice its shown size)
    assert pwned
    assert scripts == 0
    assert all(u.startswith(("file:", "data:")) for u in requests)  # no external assets
    assert shot.stat().st_size > 20_000
