"""The NLP stage's faster parts give the answers of the slower ones they replace."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import spacy
from spacy.attrs import LIKE_NUM, ORTH
from spacy.lang.ru.lex_attrs import _num_words as ru_number_words
from spacy.lang.ru.lex_attrs import like_num as spacy_ru_like_num
from spacy.language import Language

import nlp.kazakh  # noqa: F401 - registers spacy.blank("kk")
from nlp.affixes import InfixFinditer, SuffixSearch, can_match_letters
from nlp.components.normalizer import SEARCH_KEY, _dictionary_normal_form, _en_stemmer, _morph
from nlp.components.sentences import SentenceSplitter
from nlp.pipeline import TOKENIZER_CACHE, build_nlp, ru_like_num

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


def _affix_probes() -> list[str]:
    """Strings that reach every branch of the suffix and infix patterns: each character up to
    U+2FFF after a word, after a number and before `km`, and random mixes of the characters
    the patterns name (letters, digits, quotes, brackets, dots, hyphens, units, newlines)."""
    probes = ["", "\n", "слово\n", "12km", "12 km", "km", "x12km", "ЛГБТ-сообщество", "т.б."]
    for code in range(0x21, 0x3000):
        char = chr(code)
        probes += [f"слово{char}", f"12{char}", f"{char}km", f"a{char}b", f"1{char}2"]
    rng = random.Random(20261201)
    alphabet = "абвЛГБТxyzÄ0129-–—.,:;!?…'\"«»“”()[]{}%$€₸°/\\+*&@#km\n"
    probes += ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(6000)]
    # long chunks whose match may start far from the end (runs of dots, trailing newlines)
    tails = ["", ".", "..", "....", "…", ".\n", "...\n", "\n", "\n\n", "km", "km\n", ")", "'s"]
    for head in ("слово", "12", "a.b", "......", "x" * 30, "1" * 20, ".x"):
        for middle in ("", ".", "...", "." * 12, "12", "км", "…"):
            probes += [head + middle + tail for tail in tails]
    probes += ["".join(rng.choices(".…\n1k m)", k=rng.randint(1, 30))) for _ in range(3000)]
    return probes


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_skipping_affix_searches_answer_as_spacys_patterns(lang: str) -> None:

    tokenizer = spacy.blank(lang).tokenizer
    suffix_regex = tokenizer.suffix_search.__self__
    infix_regex = tokenizer.infix_finditer.__self__
    suffix, infix = SuffixSearch(suffix_regex), InfixFinditer(infix_regex)
    assert suffix.known
    assert suffix.reach is not None  # searches start near the end
    assert infix.first is not None
    probes = _affix_probes()
    for text in probes:
        found, expected = suffix.search(text), suffix_regex.search(text)
        assert (found and found.span()) == (expected and expected.span()), text
        assert [m.span() for m in infix.finditer(text)] == [
            m.span() for m in infix_regex.finditer(text)
        ], text
    assert sum(suffix_regex.search(t) is not None for t in probes) > 1000  # probes do match


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_pipeline_tokens_and_the_attributes_we_read_are_spacys(lang: str) -> None:

    reference, ours = spacy.blank(lang), build_nlp(lang)
    if lang == "ru":
        reference.vocab.lex_attr_getters[LIKE_NUM] = ru_like_num
    rng = random.Random(lang)
    alphabet = "абвгдеёжзЛГБТәіңғүұқөһxyzA0129 -–—.,:;!?…'\"«»“”()%$€₸/+&@\n"
    odd = "İıßﬁ²½ⅫⒶⓐ\u0301\u0345_'’"  # letters of odd kinds, and near-letters
    texts = [t for ts in TEXTS.values() for t in ts]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 60))) for _ in range(1500)]
    texts += ["".join(rng.choices(alphabet + odd * 3, k=rng.randint(1, 40))) for _ in range(1500)]
    texts += [" ".join(rng.choices(["закон", "Закон.", "ЛГБТ-сообщество", "2025ж", "km"], k=9))]

    def view(pipeline: Language, text: str) -> list[tuple[object, ...]]:
        doc = pipeline.make_doc(text)
        return [
            (t.text, t.whitespace_, t.is_punct, t.is_alpha, t.is_space, t.like_num, t.lang_)
            for t in doc
        ]

    for text in texts:
        assert view(ours, text) == view(reference, text), text


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_words_of_letters_skip_the_affix_searches(lang: str) -> None:
    # the fast path the test above checks is in use: no affix pattern can match letters
    assert build_nlp(lang).tokenizer.token_match is str.isalpha


@pytest.mark.parametrize(
    ("pattern", "letters"),
    [
        (r"\.$|,$|…", False),
        (r"(?<=[0-9])km$", False),  # needs a digit before it
        (r"(?<=[a-z])-(?=[a-z])", False),
        (r"[\d\s]+", False),
        (r"US\$", False),
        (r"km$", True),
        (r"(?<=[0-9])km$|ing$", True),
        (r"[^.]", True),
        (r"(?<=[a-z])(?=[A-Z])", True),  # an empty infix between letters
        (r"x?", True),
        (r"(?i:\u0345)", True),  # flags inside: not followed, so maybe
        (r"\w", True),
        (r"[²½]", False),
    ],
)
def test_can_match_letters(pattern: str, letters: bool) -> None:
    assert can_match_letters(re._parser.parse(pattern)) is letters


def test_dictionary_normal_form_is_pymorphys() -> None:
    morph = _morph()
    seeds = "стали мыла печь три души пропаганда гей закон простой мой её который быть суд ёж"
    words = {
        form.word
        for seed in seeds.split()
        for parse in morph.parse(seed)  # type: ignore[attr-defined]
        for form in parse.lexeme
    }
    words |= {w.lower() for ts in TEXTS.values() for t in ts for w in re.findall(r"\w+", t)}
    known = 0
    for word in sorted(words):
        found = _dictionary_normal_form(word)
        if found is not None:
            known += 1
            expected = morph.parse(word)[0].normal_form.replace("ё", "е")  # type: ignore[attr-defined]
            assert found == expected, word
    assert known > 300


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_larger_tokenizer_cache_gives_the_tokens_of_an_uncached_tokenizer(lang: str) -> None:
    """More chunks than spaCy's default cache holds, met twice (the second time from the
    cache): the same tokens as a tokenizer that caches nothing."""
    pipeline = build_nlp(lang)
    assert pipeline.tokenizer.max_cache_size == TOKENIZER_CACHE > 10_000
    rng = random.Random(7)
    words = [
        "закон",
        "құқық",
        "law",
        "ЛГБТ-сообщество",
        "т.е.",
        "г.",
        "12,5",
        "«суд»",
        "(ст.",
        "e.g.",
    ]
    ends = ["", ",", ".", ")", "»", "...", "-", ":"]
    chunks = [f"{rng.choice(words)}{i}{rng.choice(ends)}" for i in range(12_000)]
    chunks += [rng.choice(words) + rng.choice(ends) for _ in range(2_000)]
    text = " ".join(chunks)
    reference = spacy.blank(lang)
    reference.max_length = len(text) + 1
    reference.tokenizer.max_cache_size = 0
    expected = [t.text for t in reference.make_doc(text)]
    for _ in range(2):
        assert [t.text for t in pipeline.make_doc(text)] == expected


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_only_inert_special_cases_are_dropped(lang: str) -> None:
    stock = spacy.blank(lang).tokenizer.rules
    ours = build_nlp(lang).tokenizer.rules
    dropped = set(stock) - set(ours)
    assert {"\n", "—"} <= dropped
    assert all(len(key) == 1 and stock[key] == [{ORTH: key}] for key in dropped)
    assert "\xa0" in ours  # it has a NORM
    assert all(ours[key] == stock[key] for key in ours)


def test_english_search_forms_use_the_compiled_stemmer_and_its_stems_are_snowballs() -> None:
    import spacy_lookups_data
    import srsly
    import Stemmer
    from snowballstemmer.english_stemmer import EnglishStemmer

    stemmer = _en_stemmer()
    assert isinstance(stemmer, Stemmer.Stemmer)  # PyStemmer installed, not the pure one
    table = srsly.read_gzip_json(
        Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    )
    words = sorted({w.lower() for pair in table.items() for w in pair if w.isascii()})[::5]
    assert len(words) > 10_000
    pure = EnglishStemmer()
    assert [stemmer.stemWord(w) for w in words] == [pure.stemWord(w) for w in words]
