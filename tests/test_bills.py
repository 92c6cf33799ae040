"""Bills: titles and identifiers, stage order, and one bill across sources (real SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kuzet import bill_report
from kuzet.alerts import check_alerts
from kuzet.annotate import annotate
from kuzet.bill_titles import cores_match, display_title, short_title, title_core
from kuzet.bills import (
    RANK,
    current,
    era_problem,
    key_for,
    moves_forward,
    norm_id,
    ordered,
    rules,
    stage_label,
)
from kuzet.documents import NewDocument
from kuzet.errors import ConfigError
from kuzet.settings import load_settings
from kuzet.store import Store
from nlp.components.legal import STAGES

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
ARCHIVES = "архивного дела и ограничения распространения противоправного контента"


# -- titles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Проект закона по вопросам архивного дела и ограничения распространения "
        "противоправного контента",
        "По вопросам архивного дела и ограничения распространения противоправного контента",
        "О подписании Закона Республики Казахстан «О внесении изменений и дополнений в некоторые "
        "законодательные акты Республики Казахстан по вопросам архивного дела и ограничения "
        "распространения противоправного контента»",
        "О ВНЕСЕНИИ изменений и дополнений в некоторые законодательные акты Республики "
        "Казахстан по вопросам архивного дела и ограничения распространения "
        "противоправного контента",
        "Глава государства подписал Закон по вопросам архивного дела и ограничения "
        "распространения противоправного контента",
    ],
)
def test_one_core_for_every_way_the_sources_title_a_bill(title: str) -> None:
    assert title_core(title) == ARCHIVES


def test_cores_of_kazakh_titles_and_amendments() -> None:
    kk = (
        "Қазақстан Республикасының кейбір заңнамалық актілеріне мұрағат ісі және құқыққа қайшы "
        "контенттің таралуын шектеу мәселелері бойынша өзгерістер мен толықтырулар енгізу туралы"
    )
    assert title_core(kk) == "мұрағат ісі және құқыққа қайшы контенттің таралуын шектеу"
    amend = "О внесении изменений в Закон Республики Казахстан „Об автомобильных дорогах“"
    assert title_core(amend) == "amend:автомобильных дорогах"
    assert title_core("«Автомобиль жолдары туралы» Қазақстан Республикасының Заңына өзгерістер "
                      "енгізу туралы") == "amend:автомобиль жолдары"  # fmt: skip
    assert title_core("О правах ребёнка") == title_core("О ПРАВАХ РЕБЕНКА") == "правах ребенка"
    # an amendment bill matches a bill titled with the amended law's name (the Mazhilis table)
    assert cores_match(amend and title_core(amend), title_core("Об автомобильных дорогах"))


def test_a_renamed_title_is_the_same_bill_but_a_short_or_other_one_is_not() -> None:
    old = title_core("По вопросам архивного дела")
    new = title_core(f"По вопросам {ARCHIVES}")
    assert not cores_match(old, new)  # "архивного дела": too short to be sure
    longer = title_core("По вопросам защиты семьи и детей")
    renamed = title_core("По вопросам защиты семьи и детей и запрета пропаганды")
    assert cores_match(longer, renamed)
    assert cores_match(renamed, longer)
    assert not cores_match(longer, title_core("По вопросам защиты семьи и брака"))
    assert not cores_match(title_core("О государственной статистике"), longer)


def test_titles_shown_and_shortened() -> None:
    assert display_title("О подписании Закона «Об автомобильных дорогах»") == (
        "Об автомобильных дорогах"
    )
    assert display_title("«Автомобиль жолдары туралы» Қазақстан Республикасының Заңына") == (
        "«Автомобиль жолдары туралы» Қазақстан Республикасының Заңына"
    )
    assert display_title("Проект\nзакона «Об\r\nобразовании»") == "Об образовании"
    long = f"О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан по вопросам {ARCHIVES}"  # noqa: E501
    assert short_title(long) == f"По вопросам {ARCHIVES}"
    assert len(short_title("Слово " * 50, 40)) == 40


def test_identifiers_have_one_written_form() -> None:
    assert norm_id("registration", "C-412") == norm_id("registration", "С-412") == "С-412"
    assert norm_id("registration", "c - 412") == "С-412"
    assert norm_id("adilet", "z2500000250") == "Z2500000250"
    assert norm_id("number", "312-viii") == "312-VIII"
    for kind, bad in [("adilet", "Z25"), ("number", "312"), ("registration", "412"),
                      ("legalacts", "15a"), ("page", "no slash")]:  # fmt: skip
        assert norm_id(kind, bad) is None
    assert key_for("page", "akorda/o-podpisanii-zakona-2011261") == "akorda-2011261"
    assert key_for("page", "kurultai/3101") == "kurultai-3101"
    assert key_for("adilet", "Z2600000312") == "Z2600000312"


def test_broken_rules_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bills.toml"
    bad.write_text("[titles]\nprefixes = ['(unclosed']\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bills\.toml"):
        rules.__wrapped__(bad)
    bad.write_text((Path(rules().raw and "data/bills.toml")).read_text("utf-8").replace(
        '"отозван" = "withdrawn"', '"отозван" = "vanished"'), "utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match="unknown stage"):
        rules.__wrapped__(bad)


# -- stages and timelines --------------------------------------------------------------------


def ev(stage: str, when: str | None, id_: int = 0) -> dict[str, Any]:
    return {"id": id_, "stage": stage, "event_date": when}


def test_the_vocabulary_is_the_nlp_stages_in_process_order() -> None:
    assert set(RANK) == set(STAGES)
    assert RANK["draft_published"] < RANK["introduced"] < RANK["first_reading"]
    assert RANK["third_reading"] < RANK["adopted"] < RANK["signed"] < RANK["in_force"]
    assert stage_label("adopted", "2025-11-12") == "adopted by the Mazhilis"
    assert stage_label("adopted", "2026-11-11") == "adopted by the Kurultai"


def test_timeline_by_date_then_process_order_and_current_is_not_last_seen() -> None:
    events = [
        ev("signed", "2025-12-30", 1),
        ev("in_force", None, 2),
        ev("sent_to_president", "2025-12-18", 3),
        ev("senate_approved", "2025-12-18", 4),
        ev("introduced", None, 5),
        ev("first_reading", "2025-09-17", 6),  # seen last, happened early
    ]
    assert [e["stage"] for e in ordered(events)] == [
        "introduced", "first_reading", "senate_approved", "sent_to_president", "signed",
        "in_force",
    ]  # fmt: skip
    assert current(events)["stage"] == "in_force"
    assert current([e for e in events if e["stage"] != "in_force"])["stage"] == "signed"
    # returned, then approved again: the later date wins
    back = [ev("returned", "2025-12-04", 7), ev("senate_approved", "2025-12-18", 8)]
    assert current(back)["stage"] == "senate_approved"
    assert (
        current([ev("senate_approved", "2025-12-01", 9), ev("returned", "2025-12-04", 10)])["stage"]
        == "returned"
    )


def test_what_counts_as_a_move_and_what_the_era_rules_out() -> None:
    before = ev("first_reading", "2026-10-07")
    assert moves_forward(ev("second_reading", "2026-10-28"), before)
    assert not moves_forward(ev("introduced", "2026-09-21"), before)  # older history
    assert moves_forward(ev("committee", "2026-10-09"), before)  # later, even if earlier stage
    assert moves_forward(ev("in_force", None), ev("published", "2026-11-24"))
    assert era_problem("senate_approved", "2026-10-01")
    assert era_problem("third_reading", "2026-05-01")
    assert era_problem("senate_approved", "2025-12-18") is None
    assert era_problem("third_reading", "2026-11-11") is None


# -- one bill across sources (real database) ---------------------------------------------------


def legislation(
    url: str, title: str, kind: str, source: str, text: str = "", **extra: Any
) -> NewDocument:
    return NewDocument(url=url, title=title, kind=kind, source=source, text=text or title,
                       lang=extra.pop("lang", "ru"), **extra)  # fmt: skip


def derive(store: Store, now: datetime = NOW) -> Any:
    return check_alerts(store, load_settings(), now=now)


def bills_of(store: Store) -> list[dict[str, Any]]:
    return store.list_bills(everything=True)


def timeline(store: Store, ref: str) -> list[tuple[str | None, str]]:
    return [(e["date"], e["stage"]) for e in bill_report.bill_details(store, ref)["timeline"]]


def test_the_archives_bill_across_mazhilis_senate_akorda_and_adilet(store: Store) -> None:
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/mazhilis/bills/2025-archive", "Проект закона по "
                    "вопросам архивного дела", "bill_page", "mazhilis",
                    meta={"table_cells": ["17.09.2025", "", "По вопросам архивного дела", "", "1"]},
                    published_at="2025-09-17"),
    ])  # fmt: skip
    derive(store)
    (bill,) = bills_of(store)
    assert bill["initiator"] == "deputies"  # the column the title stands in
    # the propaganda ban is inserted: the same page, renamed (a new version of the document)
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/mazhilis/bills/2025-archive",
                    f"Проект закона по вопросам {ARCHIVES}", "bill_page", "mazhilis",
                    meta={"table_cells": ["12.11.2025", "", f"По вопросам {ARCHIVES}", "", "1"]},
                    published_at="2025-11-12"),
        legislation("https://senate.parlam.kz/ru-RU/lawProjects/details/2101",
                    f"По вопросам {ARCHIVES}", "bill_page", "senate",
                    meta={"table_cells": ["1", "13.11.2025", f"По вопросам {ARCHIVES}", "C-412",
                                          "18.12.2025"]}),
        legislation("https://www.akorda.kz/ru/o-podpisanii-3012259",
                    f"О подписании Закона Республики Казахстан по вопросам {ARCHIVES}",
                    "bill_page", "akorda", published_at="2025-12-30T00:00:00+05:00"),
        legislation("https://adilet.zan.kz/rus/docs/Z2500000250", "О внесении изменений и "
                    "дополнений в некоторые законодательные акты Республики Казахстан по "
                    f"вопросам {ARCHIVES}", "law", "adilet",
                    meta={"doc_id": "Z2500000250", "info": {"Вид акта": "Закон",
                          "Дата принятия": "30.12.2025", "Статус": "Действующий"}}),
        legislation("https://adilet.zan.kz/kaz/docs/Z2500000250", "Қазақстан Республикасының "
                    "кейбір заңнамалық актілеріне мұрағат ісі мәселелері бойынша өзгерістер "
                    "енгізу туралы", "law", "adilet", lang="kk",
                    meta={"doc_id": "Z2500000250", "info": {}}),
    ])  # fmt: skip
    report = derive(store)
    assert report.new_bills == 0
    (bill,) = bills_of(store)
    assert bill["title_ru"].endswith(ARCHIVES[-30:])  # adilet's official title
    assert bill["title_kk"].startswith("Қазақстан Республикасының кейбір")
    ids = bill["identifiers"]
    assert ids["adilet"] == ["Z2500000250"]
    assert ids["registration"] == ["С-412"]  # written with a Latin C on the page
    assert ids["other_titles"] == ["По вопросам архивного дела"]
    assert timeline(store, "С-412") == [
        ("2025-09-17", "adopted"), ("2025-11-12", "adopted"), ("2025-12-18", "senate_approved"),
        ("2025-12-30", "signed"), (None, "in_force"),
    ]  # fmt: skip
    assert bill["stage"] == "in_force"
    docs = bill_report.bill_details(store, "Z2500000250")["documents"]
    assert {d["matched_by"] for d in docs} == {"first seen here", "title"}
    assert len(docs) == 5


def test_same_title_after_the_bill_was_finished_is_a_new_bill(store: Store) -> None:
    roads = "О внесении изменений в Закон Республики Казахстан «Об автомобильных дорогах»"
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/mazhilis/bills/2025-roads", "Об автомобильных "
                    "дорогах", "bill_page", "mazhilis",
                    meta={"table_cells": ["19.11.2025", "", "", "Об автомобильных дорогах", "1"]}),
        legislation("https://adilet.zan.kz/rus/docs/Z2500000241", roads, "law", "adilet",
                    meta={"doc_id": "Z2500000241", "info": {"Вид акта": "Закон",
                          "Дата принятия": "15.12.2025"}}),
        # a year later, another amendment of the same law, under the same title...
        legislation("https://legalacts.egov.kz/npa/view?id=17001", roads, "draft", "legalacts",
                    meta={"type": "Проект закона", "created": "2026-10-01",
                          "status": "Публичное обсуждение"}),
        # ...which is signed and published as another act
        legislation("https://adilet.zan.kz/rus/docs/Z2600000999", roads, "law", "adilet",
                    meta={"doc_id": "Z2600000999", "info": {"Вид акта": "Закон",
                          "Дата принятия": "20.11.2026"}}),
        # and a third act under that title: neither of the two (each has its own act id)
        legislation("https://adilet.zan.kz/rus/docs/Z2600000998", roads, "law", "adilet",
                    meta={"doc_id": "Z2600000998", "info": {"Вид акта": "Закон",
                          "Дата принятия": "25.11.2026"}}),
    ])  # fmt: skip
    derive(store)
    by_key = {b["key"]: b for b in bills_of(store)}
    assert set(by_key) == {"mazhilis-2025-roads", "legalacts-17001", "Z2600000998"}
    assert by_key["mazhilis-2025-roads"]["initiator"] == "Government"
    assert by_key["mazhilis-2025-roads"]["identifiers"]["adilet"] == ["Z2500000241"]
    assert by_key["legalacts-17001"]["identifiers"]["adilet"] == ["Z2600000999"]
    assert timeline(store, "mazhilis-2025-roads") == [
        ("2025-11-19", "adopted"), ("2025-12-15", "signed"),
    ]  # fmt: skip
    assert timeline(store, "legalacts-17001") == [
        ("2026-10-01", "draft_published"), ("2026-10-01", "public_discussion"),
        ("2026-11-20", "signed"),
    ]  # fmt: skip


def test_russian_and_kazakh_pages_of_one_bill_share_its_page_id(store: Store) -> None:
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3101", "О защите семьи",
                    "bill_page", "kurultai",
                    meta={"table_cells": ["21.09.2026", "О защите семьи", "внесён в Курултай"]}),
        legislation("https://www.parlam.kz/kk/kurultai/law-projects/3101", "Отбасын қорғау "
                    "туралы", "bill_page", "kurultai", lang="kk",
                    meta={"table_cells": ["07.10.2026", "Отбасын қорғау туралы",
                                          "бірінші оқылым"]}),
    ])  # fmt: skip
    derive(store)
    (bill,) = bills_of(store)
    assert (bill["title_ru"], bill["title_kk"]) == ("О защите семьи", "Отбасын қорғау туралы")
    assert timeline(store, "kurultai-3101") == [
        ("2026-09-21", "introduced"), ("2026-10-07", "first_reading"),
    ]  # fmt: skip


def test_orders_are_not_bills_unless_flagged_and_bad_metadata_is_ignored(store: Store) -> None:
    store.upsert_documents([
        legislation("https://legalacts.egov.kz/npa/view?id=15101", "Об утверждении правил "
                    "субсидирования перевозок", "draft", "legalacts",
                    meta={"type": "Приказ", "created": "2026-01-02"}),
        # garbage in the metadata: no crash, no invented stage
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3999", "О пчеловодстве",
                    "bill_page", "kurultai",
                    meta={"table_cells": ["31.02.2026", 17, None, "??"], "files": "x"}),
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3997", "О музеях",
                    "bill_page", "kurultai", meta={"table_cells": "07.10.2026 первое чтение"}),
        legislation("https://adilet.zan.kz/rus/docs/Z2600000776", "О музеях и выставках",
                    "law", "adilet", meta={"doc_id": "Z2600000776", "info": ["Статус"]}),
        legislation("https://adilet.zan.kz/rus/docs/Z2600000777", "О пчеловодстве", "law",
                    "adilet", meta={"doc_id": "Z2600000777", "info": {"Дата принятия": "вчера",
                                    "Статус": ""}, "revised_at": "not a date"}),
        # a Senate decision dated after the Senate ceased to exist; a date in the future
        legislation("https://senate.parlam.kz/ru-RU/lawProjects/details/2999", "О туризме",
                    "bill_page", "senate",
                    meta={"table_cells": ["1", "01.09.2026", "О туризме", "С-999", "01.10.2026"]}),
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3998", "О спорте",
                    "bill_page", "kurultai",
                    meta={"table_cells": ["15.01.2027", "О спорте", "первое чтение"]}),
    ])  # fmt: skip
    report = derive(store)
    keys = {b["key"] for b in bills_of(store)}
    assert "legalacts-15101" not in keys
    assert {"kurultai-3999", "senate-2999", "kurultai-3998"} <= keys
    assert timeline(store, "kurultai-3999") == []
    assert timeline(store, "kurultai-3997") == []
    assert timeline(store, "Z2600000776") == []
    assert timeline(store, "senate-2999") == []
    assert timeline(store, "kurultai-3998") == []
    assert any("the Senate no longer exists" in note for note in report.notes)
    assert "ignored as impossible or ambiguous" in report.lines[-1]
    # a draft whose list gave a date no one can read: its status still counts, the date not
    store.upsert_documents([
        legislation("https://legalacts.egov.kz/npa/view?id=15999", "Проект закона о культуре",
                    "draft", "legalacts", meta={"type": "Проект закона", "created": "99/99/2026",
                                                "status": "Публичное обсуждение"}),
    ])  # fmt: skip
    derive(store)
    assert timeline(store, "legalacts-15999") == [(None, "public_discussion")]


# -- news ---------------------------------------------------------------------------------


def news(url: str, title: str, text: str, when: str) -> NewDocument:
    return NewDocument(url=url, title=title, text=text, source="kazinform", kind="news",
                       lang="ru", published_at=when)  # fmt: skip


FAMILY = (
    "О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан "
    "по вопросам защиты семьи и детей"
)


def test_news_adds_stages_only_to_the_bills_it_names(store: Store) -> None:
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3101", FAMILY, "bill_page",
                    "kurultai", meta={"table_cells": ["21.09.2026", FAMILY, "внесён"]}),
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3002", "О государственной "
                    "статистике", "bill_page", "kurultai",
                    meta={"table_cells": ["19.10.2026", "О государственной статистике",
                                          "второе чтение"]}),
        news("https://inform.kz/ru/a1", "Депутаты одобрили поправки",
             f"Депутаты Курултая 7 октября 2026 года одобрили в первом чтении законопроект "
             f"«{FAMILY}». Законопроект «О государственной статистике» депутаты рассмотрят во "
             "втором чтении позже.", "2026-10-07T16:00:00+05:00"),
        news("https://inform.kz/ru/a2", "Курултай одобрил закон о туризме во втором чтении",
             "Курултай одобрил во втором чтении закон о туризме.", "2026-10-20T10:00:00+05:00"),
        news("https://inform.kz/ru/a3", "Итоги недели",
             f"Курултай одобрил в первом чтении законопроект «{FAMILY}», а закон «О "
             "государственной статистике» принят во втором чтении 19 октября 2026 года.",
             "2026-10-23T10:00:00+05:00"),
    ])  # fmt: skip
    annotate(store)
    derive(store)
    assert timeline(store, "kurultai-3101") == [
        ("2026-09-21", "introduced"), ("2026-10-07", "first_reading"),
    ]  # fmt: skip
    assert timeline(store, "kurultai-3002") == [("2026-10-19", "second_reading")]
    family = bill_report.bill_details(store, "kurultai-3101")
    first = family["timeline"][1]
    assert first["source"] == "kazinform"
    assert first["evidence"]["basis"] == "phrase"
    # a3 repeats the first reading (its own publication date, no date of its own): evidence only
    assert [a["url"] for a in first["evidence"]["also"]] == ["https://inform.kz/ru/a3"]
    assert {d["url"] for d in family["news"]} == {"https://inform.kz/ru/a1",
                                                  "https://inform.kz/ru/a3"}  # fmt: skip
    stats = bill_report.bill_details(store, "kurultai-3002")
    assert [a["url"] for a in stats["timeline"][0]["evidence"]["also"]] == [
        "https://inform.kz/ru/a3"
    ]


def test_a_check_reads_again_only_news_that_may_say_something_new(store: Store) -> None:
    store.upsert_documents([
        news("https://inform.kz/ru/b1", "Депутаты одобрили поправки",
             f"Депутаты Курултая 7 октября 2026 года одобрили в первом чтении законопроект "
             f"«{FAMILY}».", "2026-10-07T16:00:00+05:00"),
        news("https://inform.kz/ru/b2", "Статистика", "Законопроект «О государственной "
             "статистике» одобрен во втором чтении 19 октября 2026 года.",
             "2026-10-19T16:00:00+05:00"),
    ])  # fmt: skip
    annotate(store)
    assert derive(store).news_read == 2  # no bill yet: read, nothing found
    assert derive(store).news_read == 0  # nothing new since
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3101", FAMILY, "bill_page",
                    "kurultai", meta={"table_cells": ["21.09.2026", FAMILY, "внесён"]}),
    ])  # fmt: skip
    report = derive(store)
    assert report.news_read == 1  # only the item that names the new bill is read again
    assert timeline(store, "kurultai-3101") == [
        ("2026-09-21", "introduced"), ("2026-10-07", "first_reading"),
    ]  # fmt: skip
    assert derive(store).news_read == 0
    # a news item that changes is read again
    store.upsert_documents([
        news("https://inform.kz/ru/b2", "Статистика", "Законопроект «О государственной "
             "статистике» отклонён.", "2026-10-19T16:00:00+05:00"),
    ])  # fmt: skip
    annotate(store)
    assert derive(store).news_read == 1


def test_a_locked_database_is_one_clear_error_and_nothing_is_written(
    store: Store, db_path: Path
) -> None:
    import sqlite3

    from kuzet.errors import StoreError

    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3101", FAMILY, "bill_page",
                    "kurultai", meta={"table_cells": ["21.09.2026", FAMILY, "внесён"]}),
    ])  # fmt: skip
    other = sqlite3.connect(db_path)  # another process writing
    other.execute("BEGIN IMMEDIATE")
    store.db.conn.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 30 s
    try:
        with pytest.raises(StoreError, match=r"busy|locked"):
            derive(store)
    finally:
        other.rollback()
        other.close()
    assert bills_of(store) == []
    assert derive(store).new_bills == 1  # the next check does it


SOGI_TEXT = (
    "Поправки запрещают пропаганду нетрадиционной сексуальной ориентации и ЛГБТ-пропаганду в "
    "школах; правозащитники говорят о дискриминации геев."
)


def kurultai_page(n: int, cells: list[str], title: str = FAMILY) -> NewDocument:
    url = f"https://www.parlam.kz/ru/kurultai/law-projects/{n}"
    meta = {"table_cells": cells}
    return legislation(url, title, "bill_page", "kurultai", text=SOGI_TEXT, meta=meta)


def test_older_history_is_recorded_but_only_new_moves_are_mailed(store: Store) -> None:
    store.upsert_documents([kurultai_page(3101, ["07.10.2026", FAMILY, "первое чтение"])])
    annotate(store)
    assert derive(store).subjects == ["Kuzet now follows 1 bill"]  # the first relevant bill
    # an older stage comes to light (the Kazakh page): recorded as history, no mail
    store.upsert_documents([
        legislation("https://www.parlam.kz/kk/kurultai/law-projects/3101", "Отбасын қорғау",
                    "bill_page", "kurultai", lang="kk",
                    meta={"table_cells": ["21.09.2026", "Отбасын қорғау", "енгізілді"]}),
    ])  # fmt: skip
    annotate(store)
    assert derive(store).queued == 0
    # the bill moves on: one alert
    store.upsert_documents([kurultai_page(3101, ["28.10.2026", FAMILY, "второе чтение"])])
    annotate(store)
    moved = derive(store)
    assert moved.subjects == [
        "Kuzet: approved in second reading (2026-10-28) — По вопросам защиты семьи и детей"
    ]
    marks = [(e["stage"], e["alert"]) for e in bill_report.bill_details(store, "kurultai-3101")
             ["timeline"]]  # fmt: skip
    assert marks == [("introduced", "history"), ("first_reading", "baseline"),
                     ("second_reading", "alert")]  # fmt: skip
    # a relevant bill whose every move is older than [alerts] max_age_days (180): no mail
    store.upsert_documents([
        kurultai_page(3050, ["12.01.2026", "О семейных ценностях", "первое чтение"],
                      title="О семейных ценностях"),
    ])  # fmt: skip
    annotate(store)
    assert derive(store).queued == 0
    old = bill_report.bill_details(store, "kurultai-3050")
    assert old["announced"] == "history"
    assert [e["alert"] for e in old["timeline"]] == ["history"]
    # while a new relevant bill with a recent move gets its own alert, with its timeline
    store.upsert_documents([
        kurultai_page(3060, ["25.11.2026", "О защите детей в интернете", "внесён в Курултай"],
                      title="О защите детей в интернете"),
    ])  # fmt: skip
    annotate(store)
    (subject,) = derive(store).subjects
    assert subject == (
        "Kuzet: new bill (sogi) — О защите детей в интернете — introduced in Parliament, 2026-11-25"
    )


# -- same title, different bills ---------------------------------------------------------------

TAX = "О внесении изменений и дополнений в Налоговый кодекс РК"
TAX_CODE = "О внесении изменений и дополнений в Налоговый кодекс Республики Казахстан"


def test_two_kurultai_bills_with_one_title_stay_two_and_raise_no_false_alert(
    store: Store,
) -> None:
    # the sogi bill, at first reading, flagged and followed
    store.upsert_documents([kurultai_page(3001, ["05.10.2026", TAX, "первое чтение"], TAX)])
    annotate(store)
    assert derive(store).subjects == ["Kuzet now follows 1 bill"]
    # later an unrelated VAT bill under the very same title is introduced
    store.upsert_documents([
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3077", TAX, "bill_page",
                    "kurultai", text="Законопроект меняет ставки налога на добавленную стоимость.",
                    meta={"table_cells": ["20.11.2026", TAX, "внесён в Курултай"]}),
    ])  # fmt: skip
    annotate(store)
    report = derive(store)
    assert report.queued == 0  # no «introduced in Parliament» for the followed bill
    by_key = {b["key"]: b for b in bills_of(store)}
    assert set(by_key) == {"kurultai-3001", "kurultai-3077"}
    assert by_key["kurultai-3001"]["identifiers"]["page"] == ["kurultai/3001"]
    assert (by_key["kurultai-3001"]["stage"], by_key["kurultai-3001"]["stage_date"]) == (
        "first_reading", "2026-10-05",
    )  # fmt: skip
    assert timeline(store, "kurultai-3001") == [("2026-10-05", "first_reading")]
    assert timeline(store, "kurultai-3077") == [("2026-11-20", "introduced")]
    assert derive(store).new_events == 0  # and it stays so at the next check


def test_same_titled_bills_are_told_apart_by_their_ids_and_their_process(store: Store) -> None:
    draft = "Проект закона «О внесении изменений в Налоговый кодекс»"
    store.upsert_documents([
        # two drafts amending one code at once: two bills (one legalacts id each)
        legislation("https://legalacts.egov.kz/npa/view?id=16001", draft, "draft", "legalacts",
                    meta={"type": "Проект закона", "created": "2026-08-01"}),
        legislation("https://legalacts.egov.kz/npa/view?id=16002", draft, "draft", "legalacts",
                    meta={"type": "Проект закона", "created": "2026-08-03"}),
        # a Kurultai page under that title: it fits both drafts, so it is linked to neither
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3200", TAX_CODE,
                    "bill_page", "kurultai",
                    meta={"table_cells": ["21.09.2026", TAX_CODE, "первое чтение"]}),
    ])  # fmt: skip
    report = derive(store)
    keys = {b["key"] for b in bills_of(store)}
    assert keys == {"legalacts-16001", "legalacts-16002", "kurultai-3200"}
    assert any("linked to none of them" in n and "legalacts-16001" in n for n in report.notes)
    assert timeline(store, "legalacts-16001") == [("2026-08-01", "draft_published")]
    assert timeline(store, "legalacts-16002") == [("2026-08-03", "draft_published")]
    # a new draft of that title after the Kurultai bill passed a reading starts another process
    store.upsert_documents([
        legislation("https://legalacts.egov.kz/npa/view?id=16003", f"Проект закона «{TAX_CODE}»",
                    "draft", "legalacts",
                    meta={"type": "Проект закона", "created": "2026-10-15"}),
    ])  # fmt: skip
    derive(store)
    assert "legalacts-16003" in {b["key"] for b in bills_of(store)}
    assert timeline(store, "kurultai-3200") == [("2026-09-21", "first_reading")]
    # the Senate's register: another registration number is another bill
    store.upsert_documents([
        legislation("https://senate.parlam.kz/ru-RU/lawProjects/details/2201", "О туризме",
                    "bill_page", "senate",
                    meta={"table_cells": ["1", "02.02.2026", "О туризме", "С-501", "20.03.2026"]}),
        legislation("https://senate.parlam.kz/ru-RU/lawProjects/details/2202", "О туризме",
                    "bill_page", "senate",
                    meta={"table_cells": ["2", "03.03.2026", "О туризме", "С-502", "25.04.2026"]}),
    ])  # fmt: skip
    derive(store)
    assert {"senate-2201", "senate-2202"} <= {b["key"] for b in bills_of(store)}
    assert timeline(store, "С-501") == [("2026-03-20", "senate_approved")]


def test_a_bill_merged_by_an_earlier_version_is_pointed_out(store: Store) -> None:
    with store.bills_transaction():  # what the old rules left: two Kurultai pages on one bill
        bill_id = store.insert_bill({"key": "kurultai-3001", "identifiers": {}, "topics": []})
        for page in ("kurultai/3001", "kurultai/3077"):
            store.add_bill_alias(bill_id, "page", page)
    notes = derive(store).notes
    assert notes == [
        "bill kurultai-3001 has page kurultai/3001 and kurultai/3077: two bills were merged (by "
        "an earlier version); its timeline may mix them"
    ]


def test_which_identifiers_and_processes_rule_out_a_title_match() -> None:
    from kuzet.bill_identity import contradictions, id_conflict, process_conflict
    from kuzet.bills import Claim

    mine = {("page", "kurultai/3001"), ("legalacts", "15210"), ("registration", "С-412")}
    assert id_conflict(mine, [("page", "kurultai/3077")])
    assert id_conflict(mine, [("legalacts", "15211")])
    assert id_conflict(mine, [("registration", "С-413")])
    assert id_conflict({("adilet", "Z2600000312")}, [("adilet", "Z2600000313")])
    assert id_conflict(mine, [("page", "kurultai/3001"), ("legalacts", "15210")]) is None
    assert id_conflict(mine, [("page", "akorda/o-podpisanii-3012259")]) is None  # another site
    assert id_conflict(mine, [("registration", "К-77")]) is None  # another register
    # the Russian and Kazakh notices of one signing: one number
    signed = {("page", "akorda/o-podpisanii-zakona-3012259")}
    assert id_conflict(signed, [("page", "akorda/zanga-kol-koidy-3012259")]) is None
    assert id_conflict(signed, [("page", "akorda/o-podpisanii-zakona-0401269")])
    assert contradictions(mine | {("page", "akorda/o-podpisanii-3012259")}) is None
    assert contradictions(signed | {("page", "akorda/zanga-kol-koidy-3012259")}) is None
    assert contradictions(mine | {("legalacts", "16001")}) == "legalacts 15210 and 16001"

    def claim(stage: str, when: str) -> Claim:
        return Claim(stage, when, "kurultai", 1, "u", "page", "table")

    def event(stage: str, when: str, basis: str = "table") -> dict[str, Any]:
        return {"stage": stage, "event_date": when, "evidence": {"origin": "page", "basis": basis}}

    read = [event("introduced", "2026-09-21"), event("first_reading", "2026-10-05")]
    assert process_conflict(read, [claim("introduced", "2026-11-20")])
    assert process_conflict(read, [claim("introduced", "2026-09-21")]) is None
    assert process_conflict(read, [claim("second_reading", "2026-11-20")]) is None
    assert process_conflict(read, [claim("committee", "2026-10-20")]) is None  # between readings
    returned = [*read, event("returned", "2026-10-30")]
    assert process_conflict(returned, [claim("introduced", "2026-11-20")]) is None
    reported = [event("first_reading", "2026-10-05", basis="reported")]  # a news date: too weak
    assert process_conflict(reported, [claim("introduced", "2026-11-20")]) is None
    done = [event("signed", "2025-12-15")]
    assert process_conflict(done, [claim("signed", "2025-12-17")]) is None  # the same signing
    assert process_conflict(done, [claim("signed", "2026-11-20")])  # the law amended again


# -- the Kurultai's third reading adopts the law ----------------------------------------------


def test_a_kurultai_third_reading_also_adopts_the_law_whoever_reports_it(store: Store) -> None:
    store.upsert_documents([
        # the Kurultai table: «третье чтение»
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3301", "О пчеловодстве",
                    "bill_page", "kurultai",
                    meta={"table_cells": ["11.11.2026", "О пчеловодстве", "третье чтение"]}),
        # a bill page's phrase
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3302", "О музеях",
                    "bill_page", "kurultai", text="Ход рассмотрения: 12.11.2026 — Курултай "
                    "принял закон в третьем чтении и направил его на подпись Главе государства."),
        # a news report about a third bill
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3303", FAMILY, "bill_page",
                    "kurultai", meta={"table_cells": ["28.10.2026", FAMILY, "второе чтение"]}),
        news("https://inform.kz/ru/c1", "Итоги заседания Курултая",
             f"Депутаты Курултая 13 ноября 2026 года приняли в третьем чтении закон «{FAMILY}».",
             "2026-11-13T16:00:00+05:00"),
        # the two-chamber Parliament had no third reading: neither stage is recorded
        legislation("https://www.parlam.kz/ru/kurultai/law-projects/3304", "О туризме",
                    "bill_page", "kurultai",
                    meta={"table_cells": ["20.05.2026", "О туризме", "третье чтение"]}),
    ])  # fmt: skip
    annotate(store)
    derive(store)
    assert timeline(store, "kurultai-3301") == [
        ("2026-11-11", "third_reading"), ("2026-11-11", "adopted"),
    ]  # fmt: skip
    assert timeline(store, "kurultai-3302")[:2] == [
        ("2026-11-12", "third_reading"), ("2026-11-12", "adopted"),
    ]  # fmt: skip
    assert timeline(store, "kurultai-3303") == [
        ("2026-10-28", "second_reading"), ("2026-11-13", "third_reading"),
        ("2026-11-13", "adopted"),
    ]  # fmt: skip
    adopted = bill_report.bill_details(store, "kurultai-3303")["timeline"][-1]
    assert (adopted["stage_label"], adopted["source"]) == ("adopted by the Kurultai", "kazinform")
    assert adopted["evidence"]["implied_by"] == "third_reading"
    assert timeline(store, "kurultai-3304") == []
    # a second report of the same third reading (and adoption) adds evidence, not events
    store.upsert_documents([
        news("https://inform.kz/ru/c2", "Курултай принял закон",
             f"Курултай 13 ноября 2026 года принял в третьем чтении закон «{FAMILY}».",
             "2026-11-14T10:00:00+05:00"),
    ])  # fmt: skip
    annotate(store)
    assert derive(store).new_events == 0
    assert len(timeline(store, "kurultai-3303")) == 3


def test_bill_modules_stay_focused() -> None:
    root = Path(__file__).resolve().parent.parent / "kuzet"
    modules = [*root.glob("bill*.py"), root / "alerts.py", root / "alert_mail.py",
               root / "cli_bills.py", root / "store" / "bills.py"]  # fmt: skip
    sizes = {m.name: len(m.read_text("utf-8").splitlines()) for m in modules}
    assert len(sizes) >= 10
    assert {name: n for name, n in sizes.items() if n > 400} == {}
