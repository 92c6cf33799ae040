"""The normaliser's cache table (rows found through the lexemes' rank) gives every token the
lemma and search form it would get without a cache, whatever state the table is in."""

from __future__ import annotations

import spacy
from spacy.tokens import Doc

from nlp.components import normalizer
from nlp.components.normalizer import SEARCH_KEY, Normalizer, search_form

STEMS = ("закон", "суд", "право", "сообществ", "дискриминаци", "пропаганд", "гей", "насили")
ENDINGS = ("", "а", "у", "ом", "е", "ы", "ов", "ами", "ах", "ой", "ию", "ия")


def _letters(number: int) -> str:
    """A made-up prefix of Russian letters, different for each number."""
    letters = ""
    while True:
        number, digit = divmod(number, 20)
        letters += "бвгдклмнпрстфхцчшщжз"[digit]
        if not number:
            return letters + "о"


def _text(words: int, offset: int = 0) -> str:
    """Russian word forms, known and made up, with numbers and punctuation between them."""
    out = []
    for i in range(offset, offset + words):
        stem, ending = STEMS[i % len(STEMS)], ENDINGS[(i // len(STEMS)) % len(ENDINGS)]
        out.append(f"{stem}{ending}" if i % 2 else f"{_letters(i)}{stem}{ending}")
        if i % 7 == 0:
            out.append(f"{i},")
        if i % 11 == 0:
            out.append("«ЛГБТ-сообщества».")
    return " ".join(out)


def _expected(norm: Normalizer, doc: Doc) -> tuple[list[str], str]:
    lemmas = [norm.word(t.text) for t in doc]
    forms = [
        search_form(lemma, norm.lang)
        for t, lemma in zip(doc, lemmas, strict=True)
        if t.text.isalpha()
    ]
    return lemmas, " ".join(forms)


def _check(norm: Normalizer, doc: Doc) -> None:
    doc = norm(doc)
    lemmas, search = _expected(norm, doc)
    assert [t.lemma_ for t in doc] == lemmas
    assert doc.user_data[SEARCH_KEY] == search


def test_the_table_grows_and_gives_first_and_repeated_forms_the_same_answers() -> None:
    nlp = spacy.blank("ru")
    norm = Normalizer("ru")
    first = nlp.make_doc(_text(9000))  # more forms than the table's first rows
    assert len({t.orth for t in first}) > normalizer._FIRST_ROWS
    _check(norm, first)
    size = norm.size
    _check(norm, nlp.make_doc(_text(9000)))  # every form seen: no new rows
    assert norm.size == size
    _check(norm, nlp.make_doc(_text(4000, offset=7000)))  # half seen, half new
    assert norm.size > size


def test_a_cleared_table_and_ranks_set_elsewhere_are_not_trusted(monkeypatch) -> None:
    nlp = spacy.blank("ru")
    norm = Normalizer("ru")
    text = _text(500)
    _check(norm, nlp.make_doc(text))
    monkeypatch.setattr(normalizer, "CACHE_LIMIT", 100)
    _check(norm, nlp.make_doc(_text(300, offset=1000)))  # cleared first: ranks now stale
    assert norm.size < 300
    _check(norm, nlp.make_doc(text))
    monkeypatch.undo()
    # another normaliser on the same vocabulary re-numbers the lexemes; so does anyone else
    _check(Normalizer("kk"), nlp.make_doc(text))
    _check(norm, nlp.make_doc(text))
    for i, word in enumerate(("закона", "суду", "права")):
        nlp.vocab[word].rank = i
    _check(norm, nlp.make_doc(text))


def test_empty_and_one_token_docs() -> None:
    nlp = spacy.blank("ru")
    norm = Normalizer("ru")
    assert norm(nlp.make_doc("")).user_data[SEARCH_KEY] == ""
    _check(norm, nlp.make_doc("Законы"))
    _check(norm, nlp.make_doc("!"))
