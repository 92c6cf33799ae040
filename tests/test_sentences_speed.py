"""`kuzet_sentences`, reading marks from the text, sets spaCy's sentencizer's boundaries."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.attrs import SENT_START
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

import nlp.kazakh  # noqa: F401 - registers spacy.blank("kk")
from nlp.components.sentences import SentenceSplitter
from nlp.pipeline import _run, build_nlp
from nlp.text import TEXT_KEY

# words, punctuation (some of it marks), marks beyond the Basic Multilingual Plane, marks
# inside words and numbers, and odd characters
PIECES = [
    *("Суд", "решение", "Мәжіліс", "заң", "court", "U.S.", "т.е.", "3.5", "ж.", "Mr.", "x"),
    *(".", "!", "?", "…", "...", "?!", "!!!", ". . .", "։", "।", "。", "𑁇", "𑂾", "𝪈"),
    *("«", "»", "(", ")", "—", "-", ",", ":", ";", '"', "“", "”", "'", "§", "%", "*"),
    *(".x", "x.", "!a", "?ok", "a.b.c", "12.", ".5", "😀", "\u200b", "\ufeff", "é", "e\u0301"),
]
BREAKS = [" ", " ", " ", "", "  ", "\n", "\n\n", "\t", " \n "]


def _random_text(rng: random.Random) -> str:
    return "".join(
        rng.choice(PIECES) + rng.choice(BREAKS) for _ in range(rng.randint(0, 40))
    ).lstrip(" ")


def reference(doc: Doc, punct_chars: list[str] | None = None) -> list[bool | None]:
    """spaCy's own sentencizer on a copy of `doc`."""
    copy = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
    return [t.is_sent_start for t in Sentencizer(punct_chars=punct_chars)(copy)]


def ours(doc: Doc, punct_chars: list[str] | None = None, text_key: bool = True) -> Doc:
    if text_key:
        doc.user_data[TEXT_KEY] = doc.text
    return SentenceSplitter(doc.vocab, punct_chars)(doc)


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_random_texts_split_as_by_spacys_sentencizer(lang: str) -> None:
    blank = spacy.blank(lang)
    rng = random.Random(20261216)
    starts = 0
    for n in range(1500):
        text = _random_text(rng)
        expected = reference(blank.make_doc(text))
        doc = ours(blank.make_doc(text), text_key=n % 2 == 0)
        assert [t.is_sent_start for t in doc] == expected, repr(text)
        starts += expected.count(True)
    assert starts > 3000  # the texts have many sentences


def test_sent_start_values_are_the_sentencizers() -> None:
    blank = spacy.blank("ru")
    text = "Первое. Второе! (Третье?) «Четвёртое…» — пятое... шестое?! Т.е. 3.5 млн. Конец."
    expected = Sentencizer()(blank.make_doc(text)).to_array(SENT_START)
    assert (ours(blank.make_doc(text)).to_array(SENT_START) == expected).all()
    assert sum(expected == 1) == 7


@pytest.mark.parametrize(
    "punct_chars",
    [
        None,
        ["."],
        ["x", "."],  # a mark that is no punctuation
        ["...", "?!", "."],  # marks of several characters
        ["", "!"],  # the empty string is no token's text
        [""],
        ["😀"],
    ],
)
def test_other_punctuation_lists(punct_chars: list[str] | None) -> None:
    blank = spacy.blank("en")
    rng = random.Random(7)
    for _ in range(400):
        text = _random_text(rng)
        expected = reference(blank.make_doc(text), punct_chars)
        doc = ours(blank.make_doc(text), punct_chars)
        assert [t.is_sent_start for t in doc] == expected, repr(text)


def test_tokens_made_from_words_with_spaces_and_marks_inside() -> None:
    # tokens the tokenizer never makes: a mark with a space in the token, marks glued on
    vocab = Vocab()
    words = [
        *("a", ". ", "b", ".", "c", " .", "d", "!", " ", "e", "?", "\n", "f", "...", "g"),
        *(".", "h", "\u200b", "i", "。", "j"),
    ]
    for spaces in ([False] * len(words), [True] * len(words), [i % 3 == 0 for i in range(21)]):
        doc = Doc(vocab, words=words, spaces=spaces)
        expected = reference(doc)
        assert [t.is_sent_start for t in ours(Doc(vocab, words=words, spaces=spaces))] == expected
        assert expected.count(True) >= 4


def test_empty_and_one_token_docs() -> None:
    blank = spacy.blank("ru")
    for text in ["", ".", "!", "слово", " ", "\n\n", ". слово", "слово ."]:
        expected = reference(blank.make_doc(text))
        assert [t.is_sent_start for t in ours(blank.make_doc(text))] == expected, repr(text)


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_in_the_pipeline(lang: str) -> None:
    # the pipeline's own tokenizer and the text it leaves in user_data
    pipeline = build_nlp(lang)
    rng = random.Random(11)
    for _ in range(200):
        text = _random_text(rng)
        doc = _run(pipeline, text)
        assert doc.user_data[TEXT_KEY] == text
        assert [t.is_sent_start for t in doc] == reference(doc), repr(text)
