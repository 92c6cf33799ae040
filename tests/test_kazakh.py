"""Kazakh language class, stemmer and Latin-script handling (`nlp.kazakh`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from nlp import kazakh
from nlp.kazakh import (
    Stemmer,
    latin_to_cyrillic,
    load_lexicon,
    load_suffixes,
    looks_like_latin_kazakh,
    normalize_token,
    stem,
)


def test_blank_kk_is_our_language_class() -> None:
    nlp = spacy.blank("kk")
    assert isinstance(nlp, kazakh.Kazakh)
    assert nlp.lang == "kk"


def test_tokenizer_splits_quotes_hyphens_and_article_numbers() -> None:
    doc = spacy.blank("kk")("«ЛГБТ-қауымдастық» өкілдері ҚК 174-бабын атады, т.б. құқық.")
    assert [t.text for t in doc] == [
        "«", "ЛГБТ", "-", "қауымдастық", "»", "өкілдері", "ҚК", "174", "-", "бабын", "атады",
        ",", "т.б.", "құқық", ".",
    ]  # fmt: skip


def test_tokenizer_splits_final_period_after_kazakh_letter() -> None:
    doc = spacy.blank("kk")("Бұл теңдік.")
    assert [t.text for t in doc] == ["Бұл", "теңдік", "."]


def test_stop_words_and_numbers_are_lexical_attributes() -> None:
    doc = spacy.blank("kk")("бұл және адам екі 2024 бірінші")
    assert [t.is_stop for t in doc] == [True, True, False, False, False, False]
    assert [t.like_num for t in doc] == [False, False, False, True, True, True]


def test_stop_word_file_is_sorted_unique_and_sized() -> None:
    lines = kazakh.STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line and not line.startswith("#")]
    assert entries == sorted(set(entries))
    assert 150 <= len(entries) <= 300
    assert {"және", "үшін", "туралы"} <= load_lexicon(kazakh.STOPWORDS_PATH)


def test_suffix_file_groups_are_sorted_and_in_order() -> None:
    groups = load_suffixes(kazakh.SUFFIXES_PATH)
    assert list(groups) == [
        "case", "possessive", "plural", "derivation", "verb", "negation", "voice",
    ]  # fmt: skip
    for items in groups.values():
        assert list(items) == sorted(set(items))
    assert "лар" in groups["plural"]
    assert "ды" in groups["case"]
    assert "ды" in groups["verb"]


def test_load_suffixes_skips_blank_and_comment_lines(tmp_path: Path) -> None:
    path = tmp_path / "suffixes.txt"
    path.write_text("# heading\nша\n\n# [plural] plural\nЛАР\n  \n# a note\nлер\n", "utf-8")
    assert load_suffixes(path) == {"default": ("ша",), "plural": ("лар", "лер")}


def test_stemmer_follows_group_order_of_its_table() -> None:
    outside_in = Stemmer({"case": ("ға",), "plural": ("дар", "лар")})
    inside_out = Stemmer({"plural": ("дар", "лар"), "case": ("ға",)})
    assert outside_in.stem("Бағдарларға") == "бағдар"
    assert inside_out.stem("Бағдарларға") == "бағдарлар"
    assert Stemmer({}).stem("бағдарлар") == "бағдарлар"


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        ("бағдар бағдарға бағдарын бағдарлы бағдарлар бағдарды бағдарлардың бағдарлары", "бағдар"),
        ("кемсіту кемсітуге кемсітушілік кемсітті кемсітілген кемсітпеу кемсітіп", "кемсіт"),
        ("насихат насихаттау насихатына насихаттауға насихаттап", "насихат"),
        ("өшпенділік өшпенділікті өшпенділіктің", "өшпен"),
        ("теңдік теңдігі теңдікке", "тең"),
        ("құқық құқығы құқықтары құқықтарын құқықтық", "құқық"),
        ("жыныс жынысы жыныстық жыныстыққа", "жыныс"),
        ("Қазақстан қазақстанда Қазақстанның", "қазақстан"),
        ("адам адамдар адамның адамы", "адам"),
        ("бала баласы балалар балаға", "бала"),
        ("заң заңы заңдар заңға", "заң"),
        ("жасау жасалуда жасап жасалған", "жаса"),
        ("жыл жылы жылғы жылдары", "жыл"),
    ],
)
def test_inflected_forms_meet(forms: str, expected: str) -> None:
    assert {stem(word) for word in forms.split()} == {expected}


@pytest.mark.parametrize("word", ["ана", "ала", "ел", "бала", "қала", "адам", "бағдарлама"])
def test_short_and_suffix_like_words_are_kept(word: str) -> None:
    assert stem(word) == word


@pytest.mark.parametrize(
    ("left", "right"),
    [("ана", "ал"), ("бала", "бал"), ("бағдарлама", "бағдар"), ("жыныс", "жын")],
)
def test_unrelated_words_do_not_merge(left: str, right: str) -> None:
    assert stem(left) != stem(right)


def test_voicing_alternation_is_undone() -> None:
    assert stem("құқығы") == "құқық"
    assert stem("теңдігі") == stem("теңдік")


def test_stop_words_and_other_scripts_are_not_stemmed() -> None:
    assert stem("туралы") == "туралы"
    assert stem("Rights") == "rights"
    assert stem("174") == "174"


def test_latin_2021_alphabet() -> None:
    text = "Būryñğy ötken zamanda, bır danyşpan kısı üiıne"
    assert latin_to_cyrillic(text) == "Бұрыңғы өткен заманда, бір данышпан кісі үйіне"


def test_latin_2018_alphabet_with_digraphs() -> None:
    text = "Adam quqyqtary jáne teńdik úshin: Shymkent"
    assert latin_to_cyrillic(text) == "Адам құқықтары және теңдік үшін: Шымкент"


def test_latin_informal_spelling_keeps_case_and_punctuation() -> None:
    assert latin_to_cyrillic("QAZAQSTAN, Zhynystyq boiynsha!") == "ҚАЗАҚСТАН, Жыныстық бойынша!"


@pytest.mark.parametrize(
    "text",
    [
        "Adam quqyqtary jáne teńdik",
        "Qazaqstan Respýblıkasynyń",
        "Būryñğy ötken zamanda",
        "boiynsha",
    ],
)
def test_latin_kazakh_is_recognised(text: str) -> None:
    assert looks_like_latin_kazakh(text)


@pytest.mark.parametrize(
    "text",
    [
        "The law was adopted by parliament in Astana",
        "Iraq and Qatar leaders met",
        "Erdoğan visited Astana",
        "rights",
        "",
        "Қазақстан",
    ],
)
def test_english_and_cyrillic_are_not_latin_kazakh(text: str) -> None:
    assert not looks_like_latin_kazakh(text)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("«Бағдарлардың»", "бағдар"),
        ("'Теңдігі'", "тең"),
        ("Qazaqstandaǵy", "қазақстан"),
        ("Teńdikke", "тең"),
        ("QAZAQSTANDA", "қазақстан"),
        ("Ёлка", "елка"),
        ("rights", "rights"),
    ],
)
def test_normalize_token(token: str, expected: str) -> None:
    assert normalize_token(token) == expected
