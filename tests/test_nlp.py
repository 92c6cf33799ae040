"""The NLP stage: normalisers, language identification, topic flags with evidence, bad input."""

from __future__ import annotations

import pytest

from nlp import langid
from nlp.components.normalizer import normalize_en, normalize_kk, normalize_ru
from nlp.pipeline import MAX_CHARS, analyze, build_nlp

EXTORTION_RU = (
    "Полицейские вымогали деньги у геев, угрожая раскрыть их сексуальную ориентацию. "
    "Правозащитники говорят, что шантаж геев стал системой, а нападения на ЛГБТ-людей "
    "остаются безнаказанными."
)
PROPAGANDA_KK = (
    "Мәжіліс дәстүрлі емес жыныстық бағдарды насихаттауға тыйым салатын түзетулерді "
    "мақұлдады. ЛГБТ белсенділері бұл заң жыныстық бағдарына байланысты кемсітушілікті "
    "күшейтеді деп мәлімдеді."
)
EQUALITY_EN = (
    "The draft law defines direct and indirect discrimination on the grounds of sex and "
    "guarantees equal rights and equal opportunities for women and men. Employers found to "
    "discriminate against pregnant women will face fines."
)


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("геев", "гей"),
        ("ЛГБТ+", "лгбт"),
        ("Ёлки", "елка"),
        ("«пропаганды»", "пропаганда"),
        ("дискриминации", "дискриминация"),
        ("нетрадиционной", "нетрадиционный"),
    ],
)
def test_russian_normaliser(word: str, lemma: str) -> None:
    assert normalize_ru(word) == lemma


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("discriminated", "discriminate"), ("Women", "woman"), ("LGBTQ+", "lgbtq")],
)
def test_english_normaliser(word: str, lemma: str) -> None:
    assert normalize_en(word) == lemma


def test_kazakh_normaliser_makes_inflected_forms_meet() -> None:
    forms = ["бағдар", "бағдарға", "бағдарын", "бағдарлы"]
    assert len({normalize_kk(w) for w in forms}) == 1
    assert normalize_kk("Bağdarğa") == normalize_kk("бағдарға")


def test_pipeline_sets_lemmas_and_splits_hyphenated_compounds() -> None:
    doc = build_nlp("ru")("ЛГБТ-сообщество осудило ЛГБТ-пропаганду")
    assert [t.lemma_ for t in doc if t.is_alpha] == [
        "лгбт",
        "сообщество",
        "осудить",
        "лгбт",
        "пропаганда",
    ]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (EXTORTION_RU, "ru"),
        (PROPAGANDA_KK, "kk"),
        (EQUALITY_EN, "en"),
        ("Qazaqstanda jynystyq bağdarğa baılanysty kemsitýshilik jáne zorlyq bar.", "kk"),
    ],
)
def test_language_identification(text: str, lang: str) -> None:
    assert langid.detect(text) == lang


def test_wrong_language_hint_is_overruled_by_the_text() -> None:
    assert analyze(EXTORTION_RU, "en").lang == "ru"
    assert analyze(PROPAGANDA_KK, "ru").lang == "kk"


def test_mixed_russian_and_kazakh_paragraphs_are_read_each_in_its_language() -> None:
    text = EXTORTION_RU + "\n\n" + PROPAGANDA_KK
    runs = langid.segments(text)
    assert [r[0] for r in runs] == ["ru", "kk"]
    result = analyze(text)
    evidence = result.topics["sogi"]["evidence"]
    assert any(ev["start"] >= len(EXTORTION_RU) for ev in evidence), "Kazakh part not matched"
    for ev in evidence:
        assert text[ev["start"] : ev["end"]] == ev["text"]


def test_flags_carry_rule_ids_text_offsets_and_sentence() -> None:
    result = analyze(EXTORTION_RU, "ru")
    assert set(result.flagged) >= {"sogi", "hate_crime"}
    for label in result.flagged:
        topic = result.topics[label]
        assert topic["score"] >= topic["threshold"]
        for ev in topic["evidence"]:
            assert ev["rule"].startswith(f"{label}.ru.")
            assert EXTORTION_RU[ev["start"] : ev["end"]] == ev["text"]
            assert ev["text"] in ev["sentence"]


def test_english_equality_text_is_anti_discrimination_only() -> None:
    result = analyze(EQUALITY_EN)
    assert result.flagged == ["anti_discrimination"]


def test_kazakh_text_is_flagged() -> None:
    assert {"sogi"} <= set(analyze(PROPAGANDA_KK).flagged)


@pytest.mark.parametrize(
    "text",
    [
        "Газпром увеличил поставки голубого топлива в Европу: голубое топливо подорожало.",
        "Закон Гей-Люссака изучают на уроке химии; опыт Гей-Люссака повторили школьники.",
        "Ценовая дискриминация на рынке связи: операторы жалуются на ценовую дискриминацию.",
        "Price discrimination lets airlines charge more; price discrimination is legal.",
        "Жителя Семея осудили за пропаганду терроризма в соцсетях.",
        "Kazakhstan's athletes made the nation proud: national pride after the gold medal.",
        "Разжигание костра в лесу запрещено, за разжигание костра штраф.",
    ],
)
def test_known_traps_are_not_flagged(text: str) -> None:
    assert analyze(text).flagged == []


def test_single_passing_mention_is_not_enough() -> None:
    text = (
        "Фестиваль собрал много гостей. Среди тем были экология, ЛГБТ и городская среда. "
        "Вечером прошёл концерт."
    )
    assert "sogi" not in analyze(text).flagged


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\x00\x01\x02", "\ud800 ok \udfff"])
def test_empty_and_garbage_text_gives_no_flags(text: str) -> None:
    result = analyze(text)
    assert result.flagged == []
    assert result.lang in ("ru", "kk", "en")


def test_html_left_in_the_text_is_ignored_but_offsets_hold() -> None:
    html = '<div class="x"><script>var gay = 1;</script><p>' + EXTORTION_RU + "</p></div>"
    result = analyze(html)
    assert "sogi" in result.flagged
    for ev in result.topics["sogi"]["evidence"]:
        assert html[ev["start"] : ev["end"]] == ev["text"]
        assert "script" not in ev["sentence"]


def test_ten_megabytes_of_text_is_analysed_in_its_head() -> None:
    text = EXTORTION_RU + "\n\n" + ("Обычный текст о погоде и дорогах. " * 300_000)
    assert len(text) > 10_000_000
    result = analyze(text)
    assert result.truncated
    assert "sogi" in result.flagged
    assert len(result.lemmas) < MAX_CHARS * 2


def test_kazakh_mixing_cyrillic_and_latin_script_is_read_as_one_language() -> None:
    latin = (
        "Qazaqstanda LGBT adamdaryna qatysty kemsitýshilik jıi kezdesedi: jynystyq bağdaryna "
        "baılanysty jumystan shyğarý jáne qorqytý faktileri tirkeldi."
    )
    text = PROPAGANDA_KK + "\n\n" + latin
    assert [run[0] for run in langid.segments(text)] == ["kk"]
    result = analyze(text)
    assert result.lang == "kk"
    starts = [ev["start"] for ev in result.topics["sogi"]["evidence"]]
    assert any(start > len(PROPAGANDA_KK) for start in starts), "Latin part not matched"
