"""The NLP stage's faster parts give the answers of the slower ones they replace."""

from __future__ import annotations

import pytest
import spacy
from spacy.lang.ru.lex_attrs import _num_words as ru_number_words
from spacy.lang.ru.lex_attrs import like_num as spacy_ru_like_num

import nlp.kazakh  # noqa: F401 - registers spacy.blank("kk")
from nlp.components.normalizer import SEARCH_KEY
from nlp.components.sentences import SentenceSplitter
from nlp.pipeline import build_nlp, ru_like_num

TEXTS = {
    "ru": [
        "Суд вынес приговор. Активисты (их было 12) не согласны! Что дальше?! Т.е. всё.",
        "«Закон принят.» — сказал он… Потом: «Нет?» И ещё раз... 3.5 млн. т. д. Конец",
        "Заголовок без точки\n\nАбзац. Второй абзац!\n\n— Диалог? — Да.",
        ".",
        "!!! ? .",
        "слово",
    ],
    "kk": [
        "Мәжіліс заңды қабылдады. Белсенділер наразы! Неге? 2025 ж. 30 желтоқсанда т.б.",
        "«Неке туралы» Заңы... Сот шешімі: айыппұл.",
    ],
    "en": [
        "The bill passed. Activists (about 12) objected! What next?! E.g. nothing... Mr. X.",
        "Hi. . . there",
        "“Quoted.” Then: ‘more?’ And 3.14 is pi. U.S. law.",
    ],
}


def test_russian_like_num_answers_as_spacys() -> None:
    words = [
        *ru_number_words,
        *(w.upper() for w in ru_number_words),
        *("12", "+12", "-3,5", "1.000.000", "50%", "3/4", "3/x", "1/2/3", "~7", "±2"),
        *("Двадцать", "закон", "%", "", "xiv", "ЛГБТ", "во-первых", "2-й"),
    ]
    assert [ru_like_num(w) for w in words] == [spacy_ru_like_num(w) for w in words]
    assert sum(map(ru_like_num, words)) > len(ru_number_words)  # most of them are numbers


def test_russian_pipeline_uses_the_faster_like_num() -> None:
    doc = build_nlp("ru")("двадцать пять тысяч или 25 000 человек")
    assert [t.like_num for t in doc] == [True, True, True, False, True, True, False]


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, ts in TEXTS.items() for t in ts])
def test_sentence_boundaries_are_spacys_sentencizers(lang: str, text: str) -> None:
    reference = spacy.blank(lang)
    reference.add_pipe("sentencizer")
    ours = spacy.blank(lang)
    splitter = SentenceSplitter(ours.vocab)
    expected = [t.is_sent_start for t in reference(text)]
    assert [t.is_sent_start for t in splitter(ours.make_doc(text))] == expected


def test_search_text_written_in_the_normaliser_pass_equals_the_one_from_lemmas() -> None:
    for lang, texts in TEXTS.items():
        pipeline = build_nlp(lang)
        normalizer = pipeline.get_pipe("kuzet_normalizer")
        for text in texts:
            doc = pipeline(text)
            written = normalizer.search_text(doc)
            del doc.user_data[SEARCH_KEY]
            assert written == normalizer.search_text(doc)
