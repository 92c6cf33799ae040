"""`kuzet_normalizer`: sets `token.lemma_` to a normalised word form, with a cache per process.

- ru: pymorphy3 (compiled DAWG backend) normal form; lower case, `ё` -> `е`; Latin words as-is.
- kk: rule-based suffix stripping (`nlp.kazakh.stem`); Latin-script Kazakh is transliterated.
- en: lookup lemmas from spacy-lookups-data, lower case.
Punctuation, numbers and quotes keep their lower-cased text, so patterns can still name them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy
from spacy.attrs import IS_ALPHA, LEMMA, ORTH
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
    return _morph().parse(base)[0].normal_form.replace("ё", "е")  # type: ignore[attr-defined]


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


class Normalizer:
    """Writes each token's normalised form to `token.lemma_`, caching by surface form.

    Works on arrays of string hashes (`Doc.to_array` / `Doc.from_array`) rather than Token
    objects: making a Python Token per word cost more than the normalising itself.
    """

    def __init__(self, lang: str) -> None:
        if lang not in BACKENDS:
            raise ValueError(f"kuzet_normalizer: no normaliser for language {lang!r}")
        self.lang = lang
        self.normalize = BACKENDS[lang]
        self.lemma_ids: dict[int, int] = {}  # ORTH hash -> LEMMA hash
        self.search_forms: dict[int, str] = {}  # LEMMA hash -> form for the search index

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        strings, cache_ = doc.vocab.strings, self.lemma_ids
        if len(cache_) >= CACHE_LIMIT:
            cache_.clear()
        lemmas = []
        for orth in doc.to_array([ORTH]).tolist():
            lemma = cache_.get(orth)
            if lemma is None:
                lemma = cache_[orth] = strings.add(self.word(strings[orth]))
            lemmas.append(lemma)
        doc.from_array([LEMMA], numpy.asarray(lemmas, dtype="uint64"))
        return doc

    def word(self, text: str) -> str:
        """Normalise one word outside a Doc (for search queries)."""
        return self.normalize(text) or text.lower()

    def search_text(self, doc: Doc) -> str:
        """The words of a normalised Doc as the search index stores them (`lemmas` column)."""
        strings, forms = doc.vocab.strings, self.search_forms
        if len(forms) >= CACHE_LIMIT:
            forms.clear()
        out = []
        for lemma, alpha in doc.to_array([LEMMA, IS_ALPHA]).tolist():
            if alpha:
                form = forms.get(lemma)
                if form is None:
                    form = forms[lemma] = search_form(strings[lemma], self.lang)
                out.append(form)
        return " ".join(out)


@Language.factory("kuzet_normalizer", default_config={"lang": None}, assigns=["token.lemma"])
def make_normalizer(nlp: Language, name: str, lang: str | None) -> Normalizer:
    """Factory for the normaliser: the language defaults to the pipeline's."""
    return Normalizer(lang or nlp.lang)
