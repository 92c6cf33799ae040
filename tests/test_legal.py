"""Tests for the `kuzet_legal` component, its pattern loader and the date helper."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.language import Language

from nlp.components.legal import (
    LABELS,
    STAGES,
    initialize_legal,
    legal_references,
    load_legal_patterns,
)
from nlp.dates import DateFinder, load_months, parse_date

KK = "xx"  # the Kazakh language class is not in this tree yet; the multi-language one stands in


@pytest.fixture(scope="module")
def pipelines() -> dict[str, Language]:
    """Blank ru, en and multi-language pipelines with the project's legal patterns."""
    result = {}
    for lang in ("ru", "en", KK):
        nlp = spacy.blank(lang)
        nlp.add_pipe("kuzet_legal")
        initialize_legal(nlp)
        result[lang] = nlp
    return result


@pytest.fixture(scope="module")
def found(pipelines: dict[str, Language]) -> Callable[[str, str, str], list[dict[str, Any]]]:
    """`found(lang, text, label)`: the references of one label, without offsets."""

    def run(lang: str, text: str, label: str) -> list[dict[str, Any]]:
        refs = legal_references(pipelines[lang](text))
        return [
            {k: v for k, v in ref.items() if k not in ("label", "start_char", "end_char")}
            for ref in refs
            if ref["label"] == label
        ]

    return run


def _article(text: str, article: str, part: str | None, code: str | None) -> dict[str, Any]:
    return {"text": text, "article": article, "part": part, "code": code}


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ru", "Ему вменяют статья 174 УК.", [_article("статья 174 УК", "174", None, "criminal")]),
        (
            "ru",
            "Дело возбуждено по признакам статьи 174 Уголовного кодекса.",
            [_article("статьи 174 Уголовного кодекса", "174", None, "criminal")],
        ),
        (
            "ru",
            "Истец сослался на ст. 14 Конституции и ст. 6 ТК.",
            [
                _article("ст. 14 Конституции", "14", None, "constitution"),
                _article("ст. 6 ТК", "6", None, "labour"),
            ],
        ),
        (
            "ru",
            "Приговор вынесен по ч. 1 ст. 174 УК РК.",
            [_article("ч. 1 ст. 174 УК РК", "174", "1", "criminal")],
        ),
        (
            "ru",
            "Штраф назначен по статье 449 КоАП, а статья 3 не применялась.",
            [
                _article("статье 449 КоАП", "449", None, "administrative"),
                _article("статья 3", "3", None, None),
            ],
        ),
        (KK, "Бұл 174-бап бойынша қаралады.", [_article("174-бап", "174", None, None)]),
        (
            KK,
            "Іс ҚК-нің 174-бабы бойынша қозғалды.",
            [_article("ҚК-нің 174-бабы", "174", None, "criminal")],
        ),
        (
            KK,
            "Конституцияның 14-бабы кемсітуге тыйым салады.",
            [_article("Конституцияның 14-бабы", "14", None, "constitution")],
        ),
        (
            KK,
            "Қылмыстық кодекстің 174-бабының 2-бөлігі қолданылды.",
            [_article("Қылмыстық кодекстің 174-бабының 2-бөлігі", "174", "2", "criminal")],
        ),
        (
            "en",
            "She was charged under Article 174 of the Criminal Code.",
            [_article("Article 174 of the Criminal Code", "174", None, "criminal")],
        ),
        (
            "en",
            "The union cited art. 6 of the Labour Code and Article 14 of the Constitution.",
            [
                _article("art. 6 of the Labour Code", "6", None, "labour"),
                _article("Article 14 of the Constitution", "14", None, "constitution"),
            ],
        ),
        (
            "en",
            "Fines under Article 488(2) of the Code on Administrative Offences rose.",
            [
                _article(
                    "Article 488(2) of the Code on Administrative Offences",
                    "488",
                    "2",
                    "administrative",
                )
            ],
        ),
        ("en", "The article 5 days ago said nothing.", []),
    ],
)
def test_article(found: Callable, lang: str, text: str, expected: list[dict[str, Any]]) -> None:
    assert found(lang, text, "ARTICLE") == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "ru",
            "Изменён Закон Республики Казахстан «О защите детей от информации, причиняющей "
            "вред их здоровью и развитию».",
            [
                (
                    "Закон Республики Казахстан «О защите детей от информации, причиняющей "
                    "вред их здоровью и развитию»",
                    "О защите детей от информации, причиняющей вред их здоровью и развитию",
                )
            ],
        ),
        (
            "ru",
            'Депутаты обсудили законопроект "Об архивном деле" в среду.',
            [('законопроект "Об архивном деле"', "Об архивном деле")],
        ),
        (
            "ru",
            "Поправки в Закон «О внесении изменений в Закон «О языках»» готовы.",
            [
                (
                    "Закон «О внесении изменений в Закон «О языках»»",
                    "О внесении изменений в Закон «О языках»",
                )
            ],
        ),
        ("ru", "Закон, который он назвал «позорным», обсуждают.", []),
        (
            KK,
            "«Балалардың денсаулығы мен дамуына зиян келтіретін ақпараттан оларды қорғау "
            "туралы» Заңы өзгертілді.",
            [
                (
                    "«Балалардың денсаулығы мен дамуына зиян келтіретін ақпараттан оларды "
                    "қорғау туралы» Заңы",
                    "Балалардың денсаулығы мен дамуына зиян келтіретін ақпараттан оларды "
                    "қорғау туралы",
                )
            ],
        ),
        (
            KK,
            "Депутаттар «Мұрағат ісі туралы» Қазақстан Республикасының Заңын талқылады.",
            [
                (
                    "«Мұрағат ісі туралы» Қазақстан Республикасының Заңын",
                    "Мұрағат ісі туралы",
                )
            ],
        ),
        (
            "en",
            "Critics say the Law “On Mass Media” is vague.",
            [("Law “On Mass Media”", "On Mass Media")],
        ),
        ("en", "The so-called “propaganda” law passed.", []),
    ],
)
def test_law_title(found: Callable, lang: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(lang, text, "LAW_TITLE") == [{"text": t, "title": title} for t, title in expected]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ru", "Текст акта Z1800000169 открыт.", [("Z1800000169", "Z1800000169")]),
        (
            "en",
            "See K1400000226 and V2300031234 or P2300000123.",
            [(i, i) for i in ("K1400000226", "V2300031234", "P2300000123")],
        ),
        (KK, "Құжат U2500000777 нөмірімен тіркелді.", [("U2500000777", "U2500000777")]),
        # the span snaps to the whole token; the id itself is exact
        (
            "ru",
            "Текст: adilet.zan.kz/rus/docs/Z1800000169 .",
            [("adilet.zan.kz/rus/docs/Z1800000169", "Z1800000169")],
        ),
        ("ru", "Номер Z180000016 короче, а A1800000169 с чужой буквой.", []),
    ],
)
def test_adilet_id(found: Callable, lang: str, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(lang, text, "ADILET_ID") == [{"text": t, "adilet_id": i} for t, i in expected]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ru", "Принят Закон № 169-VI.", [("№ 169-VI", "169-VI")]),
        ("ru", "Подписан Закон № 153-VIII в пятницу.", [("№ 153-VIII", "153-VIII")]),
        ("ru", "Опубликован закон №123-VIII ЗРК.", [("№123-VIII ЗРК", "123-VIII")]),
        ("ru", "Законопроект рег. № 1234 поступил вчера.", [("рег. № 1234", "1234")]),
        ("en", "Law No. 169-VI of 2 July 2018 applies.", [("No. 169-VI", "169-VI")]),
        (KK, "№ 200-VIII ҚРЗ Заңы күшіне енді.", [("№ 200-VIII ҚРЗ", "200-VIII")]),
        ("ru", "В списке № 5 и дом № 12.", []),
    ],
)
def test_bill_number(
    found: Callable, lang: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(lang, text, "BILL_NUMBER") == [{"text": t, "number": n} for t, n in expected]


RU_STAGES = [
    (
        "Проект опубликован для публичного обсуждения.",
        "опубликован для публичного обсуждения",
        "draft_published",
    ),
    (
        "Проект размещён на портале открытых НПА.",
        "размещён на портале открытых НПА",
        "draft_published",
    ),
    (
        "Документ вынесен на публичное обсуждение.",
        "вынесен на публичное обсуждение",
        "public_discussion",
    ),
    ("Законопроект внесён в Мажилис.", "внесён в Мажилис", "introduced"),
    ("Законопроект внесен в Курултай.", "внесен в Курултай", "introduced"),
    ("Поправки готовит рабочая группа.", "рабочая группа", "committee"),
    ("Заключение дал головной комитет.", "головной комитет", "committee"),
    ("Мажилис одобрил в первом чтении поправки.", "одобрил в первом чтении", "first_reading"),
    ("Поправки одобрены в первом чтении.", "одобрены в первом чтении", "first_reading"),
    ("Депутаты одобрили в первом чтении проект.", "одобрили в первом чтении", "first_reading"),
    ("Проект принят во втором чтении.", "принят во втором чтении", "second_reading"),
    ("Курултай принял в третьем чтении поправки.", "принял в третьем чтении", "third_reading"),
    ("Мажилис во втором чтении принял закон.", "во втором чтении принял", "second_reading"),
    ("Курултай принял закон об архивах.", "Курултай принял закон", "adopted"),
    ("Мажилис принял закон о СМИ.", "Мажилис принял закон", "adopted"),
    ("Сенат одобрил поправки.", "Сенат одобрил", "senate_approved"),
    ("Сенат не одобрил поправки, и закон возвращён в Мажилис.", "возвращён в Мажилис", "returned"),
    (
        "Закон направлен на подпись Главе государства.",
        "направлен на подпись Главе государства",
        "sent_to_president",
    ),
    (
        "Главой государства подписан Закон об архивах.",
        "Главой государства подписан Закон",
        "signed",
    ),
    ("Президент подписал закон о СМИ.", "Президент подписал закон", "signed"),
    ("Текст официально опубликован вчера.", "официально опубликован", "published"),
    (
        "Закон вводится в действие со дня его первого официального опубликования.",
        "вводится в действие со дня его первого официального опубликования",
        "in_force",
    ),
    ("Поправки вступают в силу в июле.", "вступают в силу", "in_force"),
    ("Законопроект отозван.", "Законопроект отозван", "withdrawn"),
    ("Мажилис отклонил законопроект.", "отклонил законопроект", "rejected"),
]
KK_STAGES = [
    ("Жоба жария талқылауға шығарылды.", "жария талқылауға шығарылды", "public_discussion"),
    ("Жоба Мәжіліске енгізілді.", "Мәжіліске енгізілді", "introduced"),
    ("Жоба Құрылтайға енгізілді.", "Құрылтайға енгізілді", "introduced"),
    ("Түзетулерді жұмыс тобы қарады.", "жұмыс тобы", "committee"),
    ("Мәжіліс жобаны бірінші оқылымда мақұлдады.", "бірінші оқылымда мақұлдады", "first_reading"),
    (
        "Депутаттар екінші оқылымда заңды қабылдады.",
        "екінші оқылымда заңды қабылдады",
        "second_reading",
    ),
    ("Жоба үшінші оқылымда қаралды.", "үшінші оқылымда", "third_reading"),
    ("Сенат заңды мақұлдады.", "Сенат заңды мақұлдады", "senate_approved"),
    ("Сенат заңды Мәжіліске қайтарды.", "Мәжіліске қайтарды", "returned"),
    (
        "Заң Мемлекет басшысының қол қоюына жолданды.",
        "Мемлекет басшысының қол қоюына жолданды",
        "sent_to_president",
    ),
    (
        "Мемлекет басшысы «Мұрағат ісі туралы» Заңына қол қойды.",
        "Мемлекет басшысы «Мұрағат ісі туралы» Заңына қол қойды",
        "signed",
    ),
    ("Бұл Заң қолданысқа енгізіледі.", "қолданысқа енгізіледі", "in_force"),
]
EN_STAGES = [
    (
        "The draft was published for public discussion.",
        "published for public discussion",
        "draft_published",
    ),
    ("The bill was introduced to parliament.", "introduced to parliament", "introduced"),
    ("It was introduced in the Mazhilis.", "introduced in the Mazhilis", "introduced"),
    ("A bill was introduced to the Kurultai.", "introduced to the Kurultai", "introduced"),
    (
        "Deputies approved the bill in the first reading.",
        "approved the bill in the first reading",
        "first_reading",
    ),
    ("It was approved in first reading.", "approved in first reading", "first_reading"),
    ("It was adopted in second reading.", "adopted in second reading", "second_reading"),
    ("The bill passed the third reading.", "passed the third reading", "third_reading"),
    ("The Senate approved the amendments.", "Senate approved", "senate_approved"),
    ("The Senate returned it to the Mazhilis.", "returned it to the Mazhilis", "returned"),
    (
        "It was sent to the President for signature.",
        "sent to the President for signature",
        "sent_to_president",
    ),
    ("Tokayev signed the amendments into law.", "Tokayev signed the amendments into law", "signed"),
    ("He signed the law on Monday.", "signed the law", "signed"),
    ("The law enters into force in July.", "enters into force", "in_force"),
    ("The bill was withdrawn.", "bill was withdrawn", "withdrawn"),
    ("The committee rejected the bill.", "rejected the bill", "rejected"),
]


@pytest.mark.parametrize(
    ("lang", "text", "span", "stage"),
    [("ru", *case) for case in RU_STAGES]
    + [(KK, *case) for case in KK_STAGES]
    + [("en", *case) for case in EN_STAGES],
)
def test_stage(found: Callable, lang: str, text: str, span: str, stage: str) -> None:
    assert found(lang, text, "STAGE") == [{"text": span, "stage": stage, "date": None}]


def test_every_stage_has_a_russian_case() -> None:
    assert {stage for _t, _s, stage in RU_STAGES} == set(STAGES)


@pytest.mark.parametrize(
    ("lang", "text", "date"),
    [
        ("ru", "17 сентября 2025 года Мажилис одобрил в первом чтении поправки.", "2025-09-17"),
        ("ru", "Сенат одобрил поправки 18 декабря 2025 г. Сессия закрыта.", "2025-12-18"),
        ("ru", "Проект принят во втором чтении 12.11.2025.", "2025-11-12"),
        ("ru", "17 сентября Мажилис одобрил в первом чтении поправки.", None),
        ("ru", "Это было 1 мая 2024 года. Мажилис одобрил в первом чтении поправки.", None),
        (
            "ru",
            "1 марта 2025 года проект внесли, а 17 сентября 2025 года Мажилис одобрил в первом "
            "чтении поправки.",
            "2025-09-17",
        ),
        (KK, "2025 жылғы 30 желтоқсанда Мемлекет басшысы заңға қол қойды.", "2025-12-30"),
        (KK, "30 желтоқсан 2025 Мемлекет басшысы заңға қол қойды.", "2025-12-30"),
        ("en", "On December 30, 2025, Tokayev signed the law.", "2025-12-30"),
        ("en", "On 18 December 2025 the Senate approved the bill.", "2025-12-18"),
    ],
)
def test_stage_date(found: Callable, lang: str, text: str, date: str | None) -> None:
    (stage,) = found(lang, text, "STAGE")
    assert stage["date"] == date


@pytest.mark.parametrize(
    ("lang", "text", "date"),
    [
        ("ru", "30 декабря 2025 г. Главой государства подписан Закон.", "2025-12-30"),
        (KK, "2025 ж. 30 желтоқсанда Мемлекет басшысы заңға қол қойды.", "2025-12-30"),
        ("en", "It was 1 May 2025. The Senate approved the bill.", None),
    ],
)
def test_stage_date_with_a_sentencizer(lang: str, text: str, date: str | None) -> None:
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("kuzet_legal")
    initialize_legal(nlp)
    (stage,) = [r for r in legal_references(nlp(text)) if r["label"] == "STAGE"]
    assert stage["date"] == date


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "Первое чтение книги прошло в библиотеке."),
        ("ru", "Вечером было чтение стихов."),
        ("ru", "Нападающий подписал контракт с клубом."),
        ("ru", "Посол отозван из столицы."),
        ("ru", "Решение суда вступило в законную силу."),
        ("ru", "Сенатор рассказал о детстве."),
        (KK, "Ол кітапты бірінші рет оқыды."),
        ("en", "The first reading of the novel was a success."),
        ("en", "The striker signed a contract with the club."),
        ("en", "The verdict entered into legal force."),
    ],
)
def test_no_false_stage(found: Callable, lang: str, text: str) -> None:
    assert found(lang, text, "STAGE") == []


def test_references_are_sorted_and_carry_offsets(pipelines: dict[str, Language]) -> None:
    text = "Закон № 169-VI (Z1800000169) подписан Президентом. Сенат одобрил закон."
    refs = legal_references(pipelines["ru"](text))
    assert [(r["label"], r["text"]) for r in refs] == [
        ("STAGE", "Закон № 169-VI (Z1800000169) подписан Президентом"),
        ("BILL_NUMBER", "№ 169-VI"),
        ("ADILET_ID", "Z1800000169"),
        ("STAGE", "Сенат одобрил"),
    ]
    assert all(text[r["start_char"] : r["end_char"]] == r["text"] for r in refs)
    assert json.loads(json.dumps(refs)) == refs


def test_overlapping_matches_keep_the_longest() -> None:
    nlp = spacy.blank("ru")
    nlp.add_pipe("kuzet_legal")
    patterns = [
        {"id": "short", "label": "STAGE", "lang": "ru", "stage": "signed", "regex": r"подписал"},
        {
            "id": "long",
            "label": "STAGE",
            "lang": "ru",
            "stage": "signed",
            "regex": r"подписал закон",
        },
    ]
    initialize_legal(nlp, patterns=patterns, months={})
    refs = legal_references(nlp("Он подписал закон и подписал указ."))
    assert [r["text"] for r in refs] == ["подписал закон", "подписал"]


def test_span_attributes_and_spans_key(pipelines: dict[str, Language]) -> None:
    doc = pipelines["ru"]("Осуждён по ч. 2 ст. 174 УК.")
    (span,) = doc.spans["kuzet_legal"]
    assert span.label_ == "ARTICLE"
    assert span._.kuzet_ref == {"article": "174", "part": "2", "code": "criminal"}


def test_empty_patterns_give_no_spans() -> None:
    nlp = spacy.blank("ru")
    nlp.add_pipe("kuzet_legal")
    doc = nlp("Главой государства подписан Закон № 169-VI от 30 декабря 2025 года.")
    assert list(doc.spans["kuzet_legal"]) == []
    assert legal_references(doc) == []
    assert legal_references(spacy.blank("en")("No component ran.")) == []


def test_analyze_pipes_and_bare_initialize_keep_patterns() -> None:
    nlp = spacy.blank("ru")
    nlp.add_pipe("kuzet_legal")
    initialize_legal(nlp)
    analysis = nlp.analyze_pipes()
    assert analysis["problems"] == {"kuzet_legal": []}
    assert "doc.spans" in analysis["summary"]["kuzet_legal"]["assigns"]
    nlp.initialize()
    assert legal_references(nlp("Сенат одобрил закон."))[0]["stage"] == "senate_approved"


def test_project_pattern_file_is_valid_and_complete() -> None:
    patterns = load_legal_patterns()
    assert {p["label"] for p in patterns} == set(LABELS)
    assert {p["stage"] for p in patterns if p["label"] == "STAGE"} == set(STAGES)
    assert {p["lang"] for p in patterns} == {"ru", "kk", "en", "any"}


GOOD = {"id": "a", "label": "STAGE", "lang": "ru", "stage": "signed", "regex": "подписал"}


@pytest.mark.parametrize(
    ("lines", "bad_line", "message"),
    [
        ([json.dumps(GOOD), '{"id": "b", "label": '], 2, "Expecting value"),
        ([json.dumps(GOOD), "", json.dumps(GOOD)], 3, "duplicate id 'a'"),
        ([json.dumps({**GOOD, "stage": "ratified"})], 1, "unknown stage 'ratified'"),
        ([json.dumps({**GOOD, "label": "TREATY"})], 1, "label 'TREATY'"),
        ([json.dumps({**GOOD, "lang": "de"})], 1, "lang 'de'"),
        ([json.dumps({k: v for k, v in GOOD.items() if k != "regex"})], 1, "missing key(s) regex"),
        ([json.dumps({**GOOD, "regex": "подпис(ал"})], 1, "regex does not compile"),
        ([json.dumps({k: v for k, v in GOOD.items() if k != "stage"})], 1, "`stage` is required"),
        ([json.dumps({**GOOD, "label": "ADILET_ID"})], 1, "`stage` is required"),
        (
            [json.dumps({"id": "t", "label": "LAW_TITLE", "lang": "ru", "regex": "«[^»]+»"})],
            1,
            "need a (?P<title>...) group",
        ),
        ([json.dumps({**GOOD, "pattern": "x"})], 1, "unknown key(s) pattern"),
        (["[1, 2]"], 1, "JSON object"),
    ],
)
def test_bad_pattern_file_names_file_and_line(
    tmp_path: Path, lines: list[str], bad_line: int, message: str
) -> None:
    path = tmp_path / "legal.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"legal\.jsonl:\d+") as error:
        load_legal_patterns(path)
    assert f"{path}:{bad_line}:" in str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 декабря 2025 года", dt.date(2025, 12, 30)),
        ("30 декабря 2025 г.", dt.date(2025, 12, 30)),
        ("30.12.2025", dt.date(2025, 12, 30)),
        ("2025 жылғы 30 желтоқсанда", dt.date(2025, 12, 30)),
        ("30 желтоқсан 2025", dt.date(2025, 12, 30)),
        ("December 30, 2025", dt.date(2025, 12, 30)),
        ("30 December 2025", dt.date(2025, 12, 30)),
        ("1 мая 2024 года", dt.date(2024, 5, 1)),
        ("опубликовано 2 июля 2018 года в газете", dt.date(2018, 7, 2)),
        ("30 декабря", None),
        ("31.02.2025", None),
        ("без даты", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_date_finder_without_months_reads_only_numbers() -> None:
    finder = DateFinder({})
    assert parse_date("30.12.2025", finder) == dt.date(2025, 12, 30)
    assert parse_date("30 декабря 2025 года", finder) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [("декабря 13\n", "month 1-12"), ("декабря 12\nДекабря 11\n", "already month 12")],
)
def test_bad_month_table_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "months.txt"
    path.write_text("# months\n" + content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        load_months(path)
    assert str(error.value).startswith(f"{path}:")
