"""Alerts end to end: the sample bill sequence crawled step by step from the sample server,
annotated, checked after each step; delivered to a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest

from kuzet import alert_mail, bill_report, mail
from kuzet.alerts import check_alerts
from kuzet.annotate import annotate
from kuzet.crawl import crawl
from kuzet.documents import NewDocument
from kuzet.settings import load_settings
from kuzet.store import Store

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
STAFF = "policy@example.org"
ALL = ("legalacts", "kurultai", "akorda", "adilet", "kazinform", "mazhilis", "senate")
#: The sources whose sample pages change at each step (the rest are re-crawled at the end).
STEPS = {
    1: ("legalacts", "kazinform"),
    2: ("legalacts", "kurultai"),
    3: ("kurultai", "kazinform"),
    4: ("kurultai",),
    5: ("kurultai",),
    6: ("akorda",),
    7: ("adilet",),
}
#: Re-crawled at the end: sources whose pages changed along the way.
AGAIN = ("kurultai", "adilet", "kazinform")
BILL = "legalacts-15210"
EXPECTED_KEYS = {
    1: f"alert:bill:{BILL}:new",
    2: f"alert:bill:{BILL}:introduced:2026-09-21",
    3: f"alert:bill:{BILL}:first_reading:2026-10-07",
    4: f"alert:bill:{BILL}:second_reading:2026-10-28",
    5: f"alert:bill:{BILL}:sent_to_president:2026-11-11",
    6: f"alert:bill:{BILL}:signed:2026-11-20",
    7: f"alert:bill:{BILL}:published:2026-11-24",
}
TIMELINE = [
    ("2026-09-01", "draft_published"),
    ("2026-09-01", "public_discussion"),
    ("2026-09-21", "introduced"),
    ("2026-10-07", "first_reading"),
    ("2026-10-28", "second_reading"),
    ("2026-11-11", "third_reading"),
    ("2026-11-11", "adopted"),  # the Kurultai's third reading adopts the law
    ("2026-11-11", "sent_to_president"),
    ("2026-11-20", "signed"),
    ("2026-11-24", "published"),
]
NEW_TITLE = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам защиты семьи и детей и запрета пропаганды нетрадиционных сексуальных отношений"
)


def copy_db(src: Path, dst: Path) -> Path:
    """A consistent copy of a database file (SQLite's backup API)."""
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    return dst


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("bills", "bill_events", "bill_aliases", "bill_documents", "outbox", "runs")
        }


@pytest.fixture(scope="module")
def sequence(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The base sample, then steps 1-7, each crawled, annotated and checked (module-scoped)."""
    tmp = tmp_path_factory.mktemp("sequence")
    db = tmp / "kuzet.db"
    saved = {k: os.environ.get(k) for k in ("KUZET_VAR", "KUZET_ALERT_TO")}
    os.environ["KUZET_VAR"] = str(tmp / "var")
    os.environ["KUZET_ALERT_TO"] = STAFF
    result: dict[str, Any] = {"db": db, "steps": {}}
    try:
        settings = load_settings()
        result["settings"] = settings

        def step(n: int, sources: tuple[str, ...]) -> dict[str, Any]:
            runs = crawl(db, sources, sample=True, step=n).runs if sources else []
            with Store.open(db) as store:
                before = max((r["id"] for r in store.outbox_rows()), default=0)
                annotate(store)
                report = check_alerts(store, settings, now=NOW)
                queued = [r for r in store.outbox_rows() if r["id"] > before]
            return {"runs": runs, "report": report, "queued": queued}

        result["base"] = step(0, ALL)
        for n, sources in STEPS.items():
            if n == 7:
                crawl(db, sources, sample=True, step=n)
                with Store.open(db) as store:
                    annotate(store)
                result["before_step_7"] = copy_db(db, tmp / "before7.db")
                result["steps"][n] = step(n, ())  # nothing left to crawl: alerts only
                continue
            result["steps"][n] = step(n, sources)
        result["counts"] = counts(db)
        result["again"] = step(7, AGAIN)
        yield result
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_the_first_check_sends_one_summary_not_a_flood(sequence: dict[str, Any]) -> None:
    base = sequence["base"]
    assert base["report"].new_bills == 6
    assert base["report"].new_events > 10
    assert [r["dedupe_key"] for r in base["queued"]] == ["alert:bills:baseline"]
    assert base["queued"][0]["subject"] == "Kuzet now follows 4 bills"
    assert base["queued"][0]["recipients"] == [STAFF]


def test_exactly_one_alert_per_step(sequence: dict[str, Any]) -> None:
    for n, expected in EXPECTED_KEYS.items():
        queued = sequence["steps"][n]["queued"]
        assert [r["dedupe_key"] for r in queued] == [expected], f"step {n}"
        assert sequence["steps"][n]["report"].queued == 1
    subjects = [sequence["steps"][n]["queued"][0]["subject"] for n in EXPECTED_KEYS]
    assert subjects[0].startswith("Kuzet: new bill (sogi) — По вопросам защиты семьи и детей")
    assert subjects[2] == (
        "Kuzet: approved in first reading (2026-10-07) — По вопросам защиты семьи и детей"
    )
    assert "sent to the President" in subjects[4]
    assert subjects[6].startswith("Kuzet: officially published (2026-11-24)")
    assert "и запрета пропаганды" in subjects[6]  # the renamed title
    # the fifth step found three stages at once (the third reading, the adoption it is, and
    # the sending for signature): one alert names them all
    assert sequence["steps"][5]["report"].new_events == 3
    with Store.open(sequence["db"]) as store:
        raw = store.outbox_message(sequence["steps"][5]["queued"][0]["id"])["raw"]
    body = parse(raw).get_body(("plain",)).get_content()
    assert (
        "Also new:         approved in third reading, 2026-11-11; adopted by the Kurultai, "
        "2026-11-11"
    ) in body


def test_the_timeline_and_the_bill_after_the_sequence(sequence: dict[str, Any]) -> None:
    with Store.open(sequence["db"]) as store:
        bill = bill_report.bill_details(store, BILL)
        assert bill_report.bill_details(store, "Z2600000312")["id"] == bill["id"]
        assert bill_report.bill_details(store, "312-VIII")["id"] == bill["id"]
    assert [(e["date"], e["stage"]) for e in bill["timeline"]] == TIMELINE
    assert (bill["stage"], bill["stage_date"]) == ("published", "2026-11-24")
    assert bill["title_ru"] == NEW_TITLE  # adilet's official title
    assert bill["title_kk"].startswith("Қазақстан Республикасының кейбір заңнамалық актілеріне")
    ids = bill["identifiers"]
    assert ids["adilet"] == ["Z2600000312"]
    assert ids["number"] == ["312-VIII"]
    assert ids["legalacts"] == ["15210"]
    assert "kurultai/3101" in ids["page"]
    assert ids["other_titles"] == [NEW_TITLE.split(" и запрета")[0]]
    assert bill["initiator"] == "Government (Министерство культуры и информации)"
    assert bill["topics"] == ["sogi"]
    marks = [e["alert"] for e in bill["timeline"]]
    assert marks == ["new_bill", "new_bill"] + ["alert"] * 8
    assert len(bill["news"]) == 2
    first = bill["timeline"][3]
    assert [a["source"] for a in first["evidence"]["also"]] == ["kazinform"]


def test_a_stage_phrase_is_never_given_to_a_bill_it_is_not_about(sequence: dict[str, Any]) -> None:
    with Store.open(sequence["db"]) as store:
        stats = bill_report.bill_details(store, "kurultai-3002")
    # the Kazinform report says the statistics bill "will" have its second reading: no event
    assert [(e["date"], e["stage"]) for e in stats["timeline"]] == [
        ("2026-10-19", "second_reading")
    ]
    assert stats["timeline"][0]["evidence"].get("also") is None
    assert [e["alert"] for e in stats["timeline"]] == ["quiet"]  # nobody follows it


def test_recrawl_and_rerun_change_nothing(sequence: dict[str, Any]) -> None:
    again = sequence["again"]
    assert sum(r["new_docs"] + r["changed_docs"] for r in again["runs"]) == 0
    assert (again["report"].new_bills, again["report"].new_events) == (0, 0)
    assert again["queued"] == []
    after = counts(sequence["db"])
    assert {k: v for k, v in after.items() if k != "runs"} == {
        k: v for k, v in sequence["counts"].items() if k != "runs"
    }
    assert after["runs"] > sequence["counts"]["runs"]  # the checks are recorded


def test_a_check_that_dies_half_way_leaves_nothing_and_the_next_does_it_once(
    sequence: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy_db(sequence["before_step_7"], tmp_path / "kuzet.db")
    settings = sequence["settings"]
    before = counts(db)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(alert_mail, "stage_move", crash)
    with Store.open(db) as store, pytest.raises(RuntimeError, match="power cut"):
        check_alerts(store, settings, now=NOW)
    after = counts(db)
    assert {k: v for k, v in after.items() if k != "runs"} == {
        k: v for k, v in before.items() if k != "runs"
    }
    with Store.open(db) as store:
        last = store.run_rows("alerts")[-1]
        assert (last["status"], last["message"]) == ("failed", "RuntimeError: power cut")
    monkeypatch.undo()
    with Store.open(db) as store:  # a new process, as after a restart
        report = check_alerts(store, settings, now=NOW)
        assert report.queued == 1
        assert report.subjects[0].startswith("Kuzet: officially published (2026-11-24)")
    with Store.open(db) as store:
        assert check_alerts(store, settings, now=NOW).queued == 0


def test_dry_run_changes_nothing_and_says_what_it_would_send(
    sequence: dict[str, Any], tmp_path: Path, run: object, db_path: Path
) -> None:
    copy_db(sequence["before_step_7"], db_path)
    before = counts(db_path)
    result = run("alerts", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would queue alert (legalacts-15210): Kuzet: officially published" in result.output
    assert "would queue 1 alert (dry run: nothing was changed)" in result.output
    assert counts(db_path) == before
    real = run("alerts")
    assert "queued alert (legalacts-15210): Kuzet: officially published" in real.output
    assert counts(db_path)["outbox"] == before["outbox"] + 1


# -- delivery over a real SMTP server --------------------------------------------------------


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, smtp_server: Any) -> Any:
    monkeypatch.setenv("KUZET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KUZET_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("KUZET_SMTP_SECURITY", "none")
    monkeypatch.setenv("KUZET_ALERT_TO", STAFF)
    return smtp_server


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_alerts_are_delivered_once(sequence: dict[str, Any], tmp_path: Path, smtp_env: Any) -> None:
    db = copy_db(sequence["db"], tmp_path / "kuzet.db")
    smtp_env.start()
    settings = load_settings()
    with Store.open(db) as store:
        report = mail.send_pending(store, settings)
        assert (report.sent, report.deferred, report.failed) == (8, 0, 0)
        assert mail.send_pending(store, settings).sent == 0
        assert check_alerts(store, settings, now=NOW + timedelta(hours=1)).queued == 0
        assert mail.send_pending(store, settings).sent == 0
    assert len(smtp_env.messages) == 8
    ids = [parse(raw)["Message-ID"] for _f, _to, raw in smtp_env.messages]
    assert len(set(ids)) == 8
    assert {tuple(to) for _f, to, _raw in smtp_env.messages} == {(STAFF,)}
    published = parse(smtp_env.messages[-1][2])
    assert published["X-Kuzet-Bill"] == BILL
    text = published.get_body(("plain",)).get_content()
    html = published.get_body(("html",)).get_content()
    for part in (text, html):
        assert "officially published" in part
        assert "2026-11-24" in part
        assert "adilet.zan.kz/rus/docs/Z2600000312" in part
        assert "flagged sogi" in part
        assert "approved in first reading" in part  # the timeline
    assert "* 2026-11-24" in text  # the new stage marked in the timeline


def test_server_down_then_up_delivers_each_alert_once(
    sequence: dict[str, Any], tmp_path: Path, smtp_env: Any
) -> None:
    db = copy_db(sequence["db"], tmp_path / "kuzet.db")
    settings = load_settings()
    with Store.open(db) as store:
        down = mail.send_pending(store, settings, now=NOW)
        assert (down.sent, down.deferred) == (0, 8)
        assert "unreachable" in down.errors[0] or "refused" in down.errors[0]
        assert all(r["status"] == "pending" and r["last_error"] for r in store.outbox_rows())
        smtp_env.start()
        assert mail.send_pending(store, settings, now=NOW).sent == 0  # not due yet: backoff
        up = mail.send_pending(store, settings, now=NOW + timedelta(minutes=2))
        assert (up.sent, up.deferred) == (8, 0)
        assert mail.send_pending(store, settings, now=NOW + timedelta(hours=1)).sent == 0
    assert len(smtp_env.messages) == 8


def test_a_refused_login_is_one_clear_error_and_the_alerts_are_kept(
    sequence: dict[str, Any], tmp_path: Path, smtp_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy_db(sequence["db"], tmp_path / "kuzet.db")
    smtp_env.start(password="correct horse")
    monkeypatch.setenv("KUZET_SMTP_USER", "kuzet")
    monkeypatch.setenv("KUZET_SMTP_PASSWORD", "wrong")
    settings = load_settings()
    with Store.open(db) as store:
        report = mail.send_pending(store, settings, now=NOW)
        assert report.sent == 0
        assert len(report.errors) == 1
        assert report.errors[0].startswith(
            f"127.0.0.1:{smtp_env.port} refused the login of 'kuzet': 535"
        )
        assert "wrong" not in report.errors[0]
        assert all(r["status"] == "pending" for r in store.outbox_rows())
        assert smtp_env.messages == []
        monkeypatch.setenv("KUZET_SMTP_PASSWORD", "correct horse")
        later = mail.send_pending(store, settings, now=NOW + timedelta(minutes=5))
        assert later.sent == 8
    assert len(smtp_env.messages) == 8
    assert smtp_env.logins == ["kuzet"]


def test_a_hostile_title_cannot_add_headers_or_markup(store: Store, smtp_env: Any) -> None:
    settings = load_settings()
    smtp_env.start()
    assert check_alerts(store, settings, now=NOW).queued == 0  # nothing yet: no summary either
    store.upsert_documents([
        NewDocument(url="https://www.parlam.kz/ru/kurultai/law-projects/3001", kind="bill_page",
                    source="kurultai", title="О правах ребёнка", lang="ru",
                    text="Поправки ссылаются на запрет пропаганды нетрадиционной сексуальной "
                    "ориентации среди детей и ЛГБТ-пропаганды в школах.",
                    meta={"table_cells": ["05.10.2026", "О правах ребёнка", "первое чтение"]}),
    ])  # fmt: skip
    annotate(store)
    assert check_alerts(store, settings, now=NOW).subjects == ["Kuzet now follows 1 bill"]
    assert mail.send_pending(store, settings).sent == 1
    smtp_env.messages.clear()
    evil = 'Проект закона «О защите»\r\nBcc: attacker@example.net\r\n<script>alert("x")</script>'
    store.upsert_documents([
        NewDocument(url="https://legalacts.egov.kz/npa/view?id=66666", kind="draft",
                    source="legalacts", title=evil, lang="ru",
                    text="Законопроект запрещает пропаганду нетрадиционной сексуальной ориентации "
                    "и ЛГБТ-пропаганду в интернете; правозащитники говорят о дискриминации геев.",
                    meta={"type": "Проект закона", "created": "2026-11-30",
                          "status": "Публичное обсуждение <b>", "drafting_body": "<i>Минюст</i>"}),
    ])  # fmt: skip
    annotate(store)
    report = check_alerts(store, settings, now=NOW)
    assert report.queued == 1
    assert report.subjects[0].startswith("Kuzet: new bill (sogi)")
    assert mail.send_pending(store, settings).sent == 1
    ((_sender, rcpts, raw),) = smtp_env.messages
    assert rcpts == [STAFF]
    msg = parse(raw)
    assert msg["Bcc"] is None
    assert "attacker" not in str(msg["To"])
    assert "\n" not in msg["Subject"]
    assert "\r" not in msg["Subject"]
    assert '<script>alert("x")</script>' in msg["Subject"]  # shown as text, in one line
    headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "\r\nBcc:" not in headers
    assert [k for k in msg if k.lower() in ("bcc", "cc")] == []
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "<i>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")</script>' in msg.get_body(("plain",)).get_content()
