"""`kuzet bills`, `kuzet alerts` and the sample sequence's steps, through the command line."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from kuzet.documents import NewDocument
from kuzet.sample_server import SampleServer, available_steps, check_step
from kuzet.store import Store

ARCHIVES = "По вопросам архивного дела и ограничения распространения противоправного контента"


@pytest.fixture
def bills_db(db_path: Path) -> Path:
    """A database with two bills' pages: one flagged, one not."""
    with Store.open(db_path) as store:
        store.upsert_documents([
            NewDocument(url="https://www.parlam.kz/ru/mazhilis/bills/2025-archive",
                        title=f"Проект закона {ARCHIVES.lower()}", kind="bill_page",
                        source="mazhilis", lang="ru", text="Мажилис принял закон.",
                        meta={"table_cells": ["12.11.2025", "", ARCHIVES, "", "1"]}),
            NewDocument(url="https://www.parlam.kz/ru/kurultai/law-projects/3002",
                        title="О государственной статистике", kind="bill_page",
                        source="kurultai", lang="ru", text="Законопроект о статистике.",
                        meta={"table_cells": ["19.10.2026", "О государственной статистике",
                                              "второе чтение"]}),
        ])  # fmt: skip
        # the NLP stage's verdict on the first page, as `kuzet annotate` stores it
        store.db.execute(
            "UPDATE documents SET topics = '[\"sogi\"]' WHERE url LIKE '%2025-archive'"
        )
        store.db.conn.commit()
    return db_path


def test_bills_list_show_track_untrack(run: object, bills_db: Path) -> None:
    assert "no bills yet" in run("bills").output
    first = run("alerts")
    assert first.exit_code == 0, first.output
    summary = "queued alert (summary of the first relevant bills): Kuzet now follows 1 bill"
    assert summary in first.output
    assert "no alert recipients configured" in first.output
    table = run("bills", "list")
    assert table.exit_code == 0
    lines = table.output.strip().splitlines()
    assert len(lines) == 3  # the header, the one relevant bill, and the count (on stderr)
    assert lines[2] == "1 bill"
    assert "mazhilis-2025-archive" in lines[1]
    assert "sogi" in lines[1]
    everything = json.loads(run("bills", "list", "--all", "--format", "json").output)
    assert [b["key"] for b in everything] == ["kurultai-3002", "mazhilis-2025-archive"]
    assert everything[0]["stage"] == "second_reading"
    assert everything[0]["stage_label"] == "approved in second reading"
    assert everything[1]["topics"] == ["sogi"]
    only = json.loads(
        run("bills", "list", "--all", "--stage", "adopted", "--format", "json").output
    )
    assert [b["key"] for b in only] == ["mazhilis-2025-archive"]
    shown = run("bills", "show", "mazhilis-2025-archive")
    assert "adopted by the Mazhilis" in shown.output
    assert "2025-11-12" in shown.output
    assert "[in the first summary]" in shown.output
    details = json.loads(run("bills", "show", "kurultai-3002", "--format", "json").output)
    assert details["timeline"][0]["alert"] == "quiet"
    assert run("bills", "track", "kurultai-3002").output.startswith(
        "bill kurultai-3002 now tracked"
    )
    assert "was already tracked" in run("bills", "track", "kurultai-3002").output
    assert "kurultai-3002" in run("bills", "list").output  # tracked bills are listed
    second = run("alerts")
    assert "queued 0 alerts" in second.output  # tracking is not news: no mail for old stages
    assert "no longer tracked" in run("bills", "untrack", "kurultai-3002").output
    assert "was not tracked" in run("bills", "untrack", "kurultai-3002").output


def test_unknown_bill_and_bad_options_are_one_line_errors(run: object, bills_db: Path) -> None:
    run("alerts")
    missing = run("bills", "show", "nosuch")
    assert missing.exit_code == 1
    assert missing.output.strip() == (
        "Error: no bill 'nosuch' (give an id, key or identifier from 'kuzet bills list')"
    )
    assert run("bills", "track", "Z9999999999").exit_code == 1
    assert run("bills", "list", "--stage", "nonsense").exit_code == 2
    step = run("crawl", "--sample", "--step", "99", "legalacts")
    assert step.exit_code == 1
    assert "no sample step 99" in step.output
    assert len(step.output.strip().splitlines()) == 1
    nosample = run("crawl", "--step", "2", "legalacts")
    assert nosample.exit_code == 1
    assert "--step needs --sample" in nosample.output


def test_alerts_dry_run_on_an_empty_database(run: object, db_path: Path) -> None:
    run("migrate")
    result = run("alerts", "--dry-run")
    assert result.exit_code == 0
    assert "bills: 0 followed" in result.output
    assert "dry run: nothing was changed" in result.output
    with Store.open(db_path) as store:
        assert store.run_rows("alerts") == []


# -- the sample sequence's steps ---------------------------------------------------------------


def fetch(base: str, url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": base}))
    with opener.open(url, timeout=10) as response:
        return response.read()


def test_steps_overlay_the_sample_sites() -> None:
    assert available_steps() == [1, 2, 3, 4, 5, 6, 7]
    kurultai = "http://www.parlam.kz/ru/kurultai/law-projects"
    legalacts = "http://legalacts.egov.kz/list"
    with SampleServer() as base:
        assert b"/3101" not in fetch(base, kurultai)
        assert b"id=15210" not in fetch(base, legalacts)
    with SampleServer(step=1) as base:
        assert "Публичное обсуждение".encode() in fetch(base, legalacts).split(b"id=15101")[0]
        assert b"/3101" not in fetch(base, kurultai)  # not in step 1: the sites as they are
    with SampleServer(step=4) as base:
        page = fetch(base, kurultai).decode()
        assert "второе чтение" in page
        assert "запрета пропаганды" in page
        draft = fetch(base, legalacts).decode()
        assert "Завершено" in draft.split("id=15101")[0]  # step 2's, the latest before 4
        assert "15101" in draft  # the other drafts are still there
        assert "vlast" in fetch(base, "http://vlast.kz/rss").decode()  # untouched sites
    with pytest.raises(ValueError, match="no sample step 8"):
        check_step(8)
    assert check_step(0) == 0


FAMILY = "По вопросам защиты семьи и детей"


def test_a_bill_is_found_by_any_of_its_identifiers(run: object, db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.upsert_documents([
            NewDocument(url="https://legalacts.egov.kz/npa/view?id=15210",
                        title=f"Проект закона {FAMILY.lower()}", kind="draft",
                        source="legalacts", lang="ru", text="Проект закона.",
                        meta={"type": "Проект закона", "created": "2026-09-01"}),
            NewDocument(url="https://www.parlam.kz/ru/kurultai/law-projects/3101", title=FAMILY,
                        kind="bill_page", source="kurultai", lang="ru", text="Законопроект.",
                        meta={"table_cells": ["21.09.2026", FAMILY, "внесён в Курултай"]}),
            NewDocument(url="https://adilet.zan.kz/rus/docs/Z2600000312", title=FAMILY,
                        kind="law", source="adilet", lang="ru", text="Закон.",
                        meta={"doc_id": "Z2600000312", "info": {"Вид акта": "Закон",
                              "Номер": "312-VIII", "Дата принятия": "20.11.2026"}}),
        ])  # fmt: skip
    assert run("alerts").exit_code == 0
    # the README's example: the key is legalacts-15210 (the draft came first)
    for ref in ("legalacts-15210", "kurultai-3101", "KURULTAI-3101", "kurultai/3101",
                "Z2600000312", "z2600000312", "312-VIII"):  # fmt: skip
        shown = run("bills", "show", ref, "--format", "json")
        assert shown.exit_code == 0, (ref, shown.output)
        assert json.loads(shown.output)["key"] == "legalacts-15210", ref
    assert run("bills", "track", "kurultai-3101").output.startswith(
        "bill legalacts-15210 now tracked"
    )
    assert run("bills", "untrack", "kurultai/3101").output.startswith(
        "bill legalacts-15210 no longer tracked"
    )
    assert run("bills", "show", "kurultai-3102").exit_code == 1
    # a key-like name that two bills' pages share is refused, naming both
    with Store.open(db_path) as store, store.bills_transaction():
        for key, page in (("k1", "akorda/a-3012259"), ("k2", "akorda/b-3012259")):
            bill_id = store.insert_bill({"key": key, "identifiers": {}, "topics": []})
            store.add_bill_alias(bill_id, "page", page)
    both = run("bills", "show", "akorda-3012259")
    assert both.exit_code == 1
    assert both.output.strip() == "Error: 'akorda-3012259' names 2 bills: k1, k2 (give one)"


def test_bills_list_never_cuts_a_key(run: object, db_path: Path) -> None:
    long_title = "О внесении изменений " + "и дополнений " * 30
    with Store.open(db_path) as store:
        store.upsert_documents([
            NewDocument(url="https://www.parlam.kz/ru/mazhilis/bills/2025-archive-content-and-more",
                        title=long_title, kind="bill_page", source="mazhilis", lang="ru",
                        text="Текст.", meta={"table_cells": ["12.11.2025", "", long_title, "1"]}),
        ])  # fmt: skip
    assert run("alerts").exit_code == 0
    listed = run("bills", "list", "--all")
    (line,) = [x for x in listed.stdout.splitlines() if "mazhilis-" in x]
    key = line.split()[1]
    assert key == "mazhilis-2025-archive-content-and-more"
    assert run("bills", "show", key).exit_code == 0  # pasted as listed, it works
    assert line.endswith("…")  # the title is what gets cut
    assert len(line) <= 180


def test_alerts_warn_when_a_mail_server_has_no_one_to_mail(
    run: object, bills_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUZET_ALERT_TO", raising=False)
    monkeypatch.setenv("KUZET_SMTP_HOST", "127.0.0.1")
    warned = run("alerts")
    assert warned.exit_code == 0
    lines = [x for x in warned.stderr.splitlines() if x.startswith("warning:")]
    assert lines == [
        "warning: a mail server is configured but no alert recipients ([alerts] to, "
        "KUZET_ALERT_TO are empty): alerts wait in the outbox until recipients are set"
    ]
    assert "warning:" not in warned.stdout
    assert "warning:" in run("alerts").stderr  # also when nothing new is queued
    with Store.open(bills_db) as store:  # queueing is unchanged: the alert waits, unaddressed
        assert [r["recipients"] for r in store.outbox_rows()] == [[]]
    monkeypatch.setenv("KUZET_ALERT_TO", "policy@example.org")
    assert "warning:" not in run("alerts").output
    monkeypatch.delenv("KUZET_ALERT_TO")
    monkeypatch.delenv("KUZET_SMTP_HOST")
    assert "warning:" not in run("alerts").output  # .eml files: no mail server to wait for
