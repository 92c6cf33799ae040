"""`kuzet_normalizer`: sets `token.lemma_` to a normalised word form, with a cache per process.

- ru: pymorphy3 (compiled DAWG backend) normal form; lower case, `ё` -> `е`; Latin words as-is.
- kk: rule-based suffix stripping (`nlp.kazakh.stem`); Latin-script Kazakh is transliterated.
- en: lookup lemmas from spacy-lookups-data, lower case.
Punctuation, numbers and quotes keep their lower-cased text, so patterns can still name them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import numpy
from spacy.attrs import ID, IS_ALPHA, LEMMA, ORTH
from spacy.language import Language
from spacy.tokens import Doc

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_EDGE_QUOTES = "\"'«»„“”‘’`"
CACHE_LIMIT = 500_000


@cache
def _morph() -> object:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@cache
def _en_table() -> object:
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


def _base(word: str) -> str:
    """Lower case, `ё` -> `е`, no edge quotes, no trailing `+` (`ЛГБТ+` means `ЛГБТ`)."""
    base = word.strip(_EDGE_QUOTES).lower().replace("ё", "е")
    return base.rstrip("+") if len(base) > 1 else base


def normalize_ru(word: str) -> str:
    """Normal form of one Russian word (other scripts: lower case only)."""
    base = _base(word)
    if not _CYRILLIC.search(base):
        return normalize_en(base) if _LATIN.search(base) else base
    return _ru_normal_form(base)


@lru_cache(maxsize=200_000)
def _ru_normal_form(base: str) -> str:
    """pymorphy3's normal form of a lower-cased word (cached: `Закон` and `закон` meet here):
    that of its most probable analysis, `ё` written `е`."""
    found = _dictionary_normal_form(base)
    if found is None:
        found = _unknown_prefix_normal_form(base)
        if found is None:
            found = _morph().parse(base)[0].normal_form  # type: ignore[attr-defined]
        found = found.replace("ё", "е")
    return found


def _dictionary_normal_form(base: str) -> str | None:
    """pymorphy3's normal form of a dictionary word, found as `MorphAnalyzer.parse` finds it
    but without building a Parse object per analysis; None for a word not in the dictionary.

    For a word of two letters or more, `parse` takes the analyses of its first unit, the
    dictionary (the other units of that group read single capital letters only), ranks them
    by P(tag | word) (a stable sort; left in dictionary order when every probability is 0),
    and the first one's normal form is the word's. When all analyses share one normal form
    (`ё` read as `е`), as for most words, no ranking is needed.
    """
    if len(base) < 2:
        return None
    morph = _morph()
    dictionary = morph.dictionary  # type: ignore[attr-defined]
    analyses = [
        (para_id, idx, fixed)
        for fixed, parses in dictionary.words.similar_items(base, morph.char_substitutes)  # type: ignore[attr-defined]
        for para_id, idx in parses
    ]
    if not analyses:
        return None
    forms = [
        dictionary.build_normal_form(p, i, fixed).replace("ё", "е") for p, i, fixed in analyses
    ]
    estimator = morph.prob_estimator  # type: ignore[attr-defined]
    if len(set(forms)) == 1 or estimator is None:
        return forms[0]
    probs = [
        estimator.p_t_given_w.prob(base, dictionary.build_tag_info(p, i)) for p, i, _f in analyses
    ]
    if sum(probs) == 0:
        return forms[0]
    return forms[max(range(len(probs)), key=probs.__getitem__)]


#: pymorphy3's Russian analyser units in order, with their `is_terminal` flags; the unknown
#: word fast path below holds only for this chain.
_RU_UNITS = (
    ("DictionaryAnalyzer", False),
    ("AbbreviatedFirstNameAnalyzer", False),
    ("AbbreviatedPatronymicAnalyzer", True),
    ("NumberAnalyzer", True),
    ("PunctuationAnalyzer", True),
    ("RomanNumberAnalyzer", False),
    ("LatinAnalyzer", True),
    ("HyphenSeparatedParticleAnalyzer", True),
    ("HyphenAdverbAnalyzer", True),
    ("HyphenatedWordsAnalyzer", True),
    ("KnownPrefixAnalyzer", True),
    ("UnknownPrefixAnalyzer", False),
    ("KnownSuffixAnalyzer", True),
    ("UnknAnalyzer", True),
)
_RU_LOWER_WORD = re.compile("[а-я]+")


@cache
def _prefix_units() -> tuple[object, object, Callable[[str], list[tuple[str, str]]], object] | None:
    """pymorphy3's KnownPrefixAnalyzer and UnknownPrefixAnalyzer units, the `word_splits`
    the latter uses, and the KnownSuffixAnalyzer unit, if its analyser runs the chain
    `_RU_UNITS` with a P(tag | word) estimator; None (no fast path) otherwise."""
    from pymorphy3.utils import word_splits

    morph = _morph()
    units = morph._units  # type: ignore[attr-defined]
    chain = tuple((type(unit.analyzer).__name__, unit.is_terminal) for unit in units)
    if chain != _RU_UNITS or morph.prob_estimator is None:  # type: ignore[attr-defined]
        return None
    return units[10].analyzer, units[11].analyzer, word_splits, units[12].analyzer


def _unknown_prefix_normal_form(base: str) -> str | None:
    """pymorphy3's normal form of a word of small Russian letters (no `ё`) that is not in the
    dictionary, when its best analysis comes from UnknownPrefixAnalyzer; None when unsure.

    `MorphAnalyzer.parse` runs its units in order (`_RU_UNITS`) until a terminal one has
    found something. For such a word the dictionary finds nothing (the caller has checked),
    the initials analysers need one capital letter, the number, punctuation, Roman number
    and Latin ones other characters, the three hyphen ones a hyphen; KnownPrefixAnalyzer
    finds nothing when it has no split to try (checked here: otherwise None). Then come
    UnknownPrefixAnalyzer and, in the same group, KnownSuffixAnalyzer: the former's parses
    are first, in order: over `word_splits` (prefix of 1-5 letters, remainder of 3 or
    more), the dictionary's analyses of the remainder, productive tags only (its duplicate
    check cannot drop the first one: nothing was seen before it). The estimator then keeps
    that order when P(tag | word) is 0 for every parse, which it is when its DAWG has no
    key `word:...` (checked here: otherwise None). So the first productive analysis of the
    first split that has one gives the normal form: prefix + the remainder's normal form.
    When no split has one, KnownSuffixAnalyzer's answer is read (`_known_suffix_normal_form`).
    """
    units = _prefix_units()
    if units is None or not _RU_LOWER_WORD.fullmatch(base):
        return None
    known_prefix, unknown_prefix, word_splits, known_suffix = units
    if next(known_prefix.possible_splits(base), None) is not None:  # type: ignore[attr-defined]
        return None
    morph = _morph()
    if next(iter(morph.prob_estimator.p_t_given_w.iterkeys(base + ":")), None) is not None:  # type: ignore[attr-defined]
        return None
    dictionary = unknown_prefix.dict_analyzer.dict  # type: ignore[attr-defined]
    words, substitutes = dictionary.words, morph.char_substitutes  # type: ignore[attr-defined]
    for prefix, rest in word_splits(base):
        for fixed, parses in words.similar_items(rest, substitutes):
            for para_id, idx in parses:
                if dictionary.build_tag_info(para_id, idx).is_productive():
                    return prefix + dictionary.build_normal_form(para_id, idx, fixed)
    return _known_suffix_normal_form(base, known_suffix)


def _known_suffix_normal_form(base: str, unit: Any) -> str | None:
    """The normal form pymorphy3 gives a word when, as `_unknown_prefix_normal_form` found,
    every unit before KnownSuffixAnalyzer found nothing and P(tag | word) is 0 for every tag;
    None when that unit finds nothing (the full parse then takes its course).

    `KnownSuffixAnalyzer.parse` (pymorphy3/units/by_analogy.py) walks the paradigm prefixes
    the word starts with and, for each, the word's endings from the longest, looking each up
    in that prefix's suffix DAWG; every productive analysis adds its count to the prefix's
    total, and each new (word, tag, paradigm) becomes a candidate, until an ending has
    counted something. Candidates are ranked by count / prefix total (a stable sort,
    highest first), and the estimator keeps that order when every P(tag | word) is 0. This
    does the same walk, but builds the normal form of the first best candidate only,
    instead of one per candidate, and no Parse objects.
    """
    if len(base) < unit.min_word_length:
        return None
    dictionary, substitutes = unit.dict, unit.morph.char_substitutes
    totals = [1] * len(unit._paradigm_prefixes)
    seen: set[tuple[str, object, int]] = set()
    found: list[tuple[int, str, int, int, int]] = []  # count, word, paradigm, form, prefix
    for prefix_id, _prefix, suffixes in unit._possible_prefixes(base):
        for cut in unit._prediction_splits:
            start, end = base[:-cut], base[-cut:]
            for fixed_end, parses in suffixes.similar_items(end, substitutes):
                fixed = start + fixed_end
                for count, para_id, idx in parses:
                    tag = dictionary.build_tag_info(para_id, idx)
                    if not tag.is_productive():
                        continue
                    totals[prefix_id] += count
                    key = (fixed, tag, para_id)
                    if key not in seen:
                        seen.add(key)
                        found.append((count, fixed, para_id, idx, prefix_id))
            if totals[prefix_id] > 1:
                break
    if not found:
        return None
    scores = [count / totals[prefix_id] * unit.score_multiplier for count, *_, prefix_id in found]
    _count, fixed, para_id, idx, _prefix_id = found[scores.index(max(scores))]
    return str(dictionary.build_normal_form(para_id, idx, fixed))


def normalize_en(word: str) -> str:
    """Lookup lemma of one English word."""
    base = _base(word)
    return _en_table().get(base, base) if _LATIN.search(base) else base  # type: ignore[attr-defined]


def normalize_kk(word: str) -> str:
    """Stem of one Kazakh word; Latin-script words are transliterated to Cyrillic first."""
    from nlp import kazakh

    base = _base(word)
    if _LATIN.search(base):
        base = kazakh.latin_to_cyrillic(base)
    return kazakh.stem(base) if _CYRILLIC.search(base) else base


@cache
def _en_stemmer() -> object:
    """Snowball's English stemmer: snowballstemmer hands out PyStemmer's compiled one (about
    100 times faster than its own pure-Python code, the same algorithm and stems)."""
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def search_form(lemma: str, lang: str) -> str:
    """The form written to the search index: the lemma, further stemmed for English so that
    `discriminated` and `discrimination` meet (lookup lemmas keep them apart)."""
    if lang == "en" and lemma.isascii():
        return _en_stemmer().stemWord(lemma)  # type: ignore[attr-defined]
    return lemma


BACKENDS: dict[str, Callable[[str], str]] = {
    "ru": normalize_ru,
    "kk": normalize_kk,
    "en": normalize_en,
}


#: `doc.user_data` key of the words as the search index stores them (see `search_text`).
SEARCH_KEY = "kuzet_search_text"
#: Rows the normaliser's table starts with (it doubles as it fills).
_FIRST_ROWS = 4096


class Normalizer:
    """Writes each token's normalised form to `token.lemma_`, caching by word form, and the
    words' search forms to `doc.user_data[SEARCH_KEY]` in the same pass.

    The cache is a table with a row per word form met: its ORTH hash, its lemma's hash and,
    for alphabetic forms (spaCy's `is_alpha`: `str.isalpha`), the form written to the search
    index. A word form's row number is kept in its lexeme's `rank`, the slot spaCy gives a
    lexeme for indexing into tables (word vectors, which our pipelines do not have), so one
    `Doc.to_array` call finds every token's row and the lemmas and search forms are gathered
    by array indexing: looking each token up in a dict cost more than normalising the
    new forms, as every look-up strays to another part of memory. A row counts only when it
    holds the token's own ORTH: a lexeme no row was made for has spaCy's OOV rank (beyond
    the table), and one whose rank something else set, or that an earlier table (cleared at
    CACHE_LIMIT rows) or another normaliser on the same vocabulary gave it, is normalised
    again and given a new row.
    """

    def __init__(self, lang: str) -> None:
        if lang not in BACKENDS:
            raise ValueError(f"kuzet_normalizer: no normaliser for language {lang!r}")
        self.lang = lang
        self.normalize = BACKENDS[lang]
        self._clear()

    def _clear(self) -> None:
        self.size = 0
        self.orths = numpy.zeros(_FIRST_ROWS, dtype="uint64")
        self.lemmas = numpy.zeros(_FIRST_ROWS, dtype="uint64")
        self.forms = numpy.empty(_FIRST_ROWS, dtype=object)  # search form, or None
        self.has_form = numpy.zeros(_FIRST_ROWS, dtype=bool)
        self.search_forms: dict[str, str] = {}  # lemma -> form for the search index

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            doc.user_data[SEARCH_KEY] = ""
            return doc
        if self.size >= CACHE_LIMIT:
            self._clear()
        ranks_orths = doc.to_array([ID, ORTH])
        ranks, orths = ranks_orths[:, 0], ranks_orths[:, 1]
        known = ranks < self.size
        rows = numpy.where(known, ranks, 0)
        known &= self.orths[rows] == orths
        if not known.all():
            self._add_rows(doc, rows, known, orths)
        doc.from_array([LEMMA], self.lemmas[rows])
        doc.user_data[SEARCH_KEY] = " ".join(self.forms[rows[self.has_form[rows]]].tolist())
        return doc

    def _add_rows(
        self, doc: Doc, rows: numpy.ndarray, known: numpy.ndarray, orths: numpy.ndarray
    ) -> None:
        """Rows for the word forms of the tokens without one (`known` false), written to
        `rows` there, and the forms' lexemes given their row numbers."""
        missing = ~known
        new, which = numpy.unique(orths[missing], return_inverse=True)
        first, end = self.size, self.size + len(new)
        self._reserve(end)
        rows[missing] = which + first
        self.orths[first:end] = new
        vocab = doc.vocab
        strings = vocab.strings
        add, normalize, search_forms = strings.add, self.normalize, self.search_forms
        lemmas: list[int] = []
        forms: list[str | None] = []
        for row, orth in enumerate(new.tolist(), first):
            vocab[orth].rank = row
            text = strings[orth]
            lemma = normalize(text) or text.lower()
            lemmas.append(add(lemma))
            if text.isalpha():  # the words the search index holds
                form = search_forms.get(lemma)
                if form is None:
                    form = search_forms[lemma] = search_form(lemma, self.lang)
                forms.append(form)
            else:
                forms.append(None)
        self.lemmas[first:end] = lemmas
        self.forms[first:end] = forms
        self.has_form[first:end] = [form is not None for form in forms]
        self.size = end

    def _reserve(self, rows: int) -> None:
        """Room in the table for `rows` rows (doubling it, at least)."""
        have = len(self.orths)
        if rows > have:
            more = max(have, rows - have)
            for name in ("orths", "lemmas", "forms", "has_form"):
                old = getattr(self, name)
                setattr(self, name, numpy.concatenate((old, numpy.empty_like(old, shape=more))))

    def word(self, text: str) -> str:
        """Normalise one word outside a Doc (for search queries)."""
        return self.normalize(text) or text.lower()

    def search_text(self, doc: Doc) -> str:
        """The words of a normalised Doc as the search index stores them (`lemmas` column):
        the search forms of its alphabetic tokens, space-separated."""
        if SEARCH_KEY in doc.user_data:
            return str(doc.user_data[SEARCH_KEY])
        strings = doc.vocab.strings
        return " ".join(
            search_form(strings[lemma], self.lang)
            for lemma, alpha in doc.to_array([LEMMA, IS_ALPHA]).tolist()
            if alpha
        )


@Language.factory("kuzet_normalizer", default_config={"lang": None}, assigns=["token.lemma"])
def make_normalizer(nlp: Language, name: str, lang: str | None) -> Normalizer:
    """Factory for the normaliser: the language defaults to the pipeline's."""
    return Normalizer(lang or nlp.lang)
