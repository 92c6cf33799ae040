"""Lean lexical attributes: a new word form costs our pipelines only what they read of it.

spaCy computes a lexeme's attributes once, when the tokenizer first meets a word form: a
dozen Python functions (lower case, shape, prefix, suffix, `like_url`, `like_email`, stop word
…), about a quarter of the tokenizer's time on news text, where new forms keep arriving. Our
components read only a few of them, so `build_nlp` gives each pipeline's vocabulary the
getters of those alone (`lean_getters`). Attributes left out stay unset (0 / False) on lexemes
first met after that; the ones kept are computed exactly as before.

Kept whatever the rules say (`ALWAYS`): `LANG` (`vocab.lang`), `IS_PUNCT` (sentence boundaries,
phrase patterns with optional punctuation), `IS_ALPHA` (which words go to the search index,
`Normalizer.search_text`), `IS_SPACE` and `LIKE_NUM` (cheap; `token.like_num` stays right for
anyone reading it). A token attribute a rule file names in a token pattern (`LOWER`, `SHAPE`,
`IS_DIGIT` …) is kept too, so a new rule never meets an unset attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from spacy.attrs import IDS, IS_ALPHA, IS_PUNCT, IS_SPACE, LANG, LIKE_NUM

ALWAYS = frozenset({LANG, IS_PUNCT, IS_ALPHA, IS_SPACE, LIKE_NUM})
#: Matcher keys that are not lexeme attributes (operators, extensions, token-level values).
_NOT_LEXICAL = frozenset({"OP", "_", "WORD", "LEMMA", "TEXT", "ORTH", "LENGTH"})


def pattern_attrs(patterns: Iterable[str | list[dict[str, Any]]]) -> set[int]:
    """spaCy attribute ids that Matcher token patterns among `patterns` compare (phrases,
    given as strings, compare lemmas and punctuation only)."""
    found: set[int] = set()
    for pattern in patterns:
        if isinstance(pattern, str):
            continue
        for spec in pattern:
            for key in spec:
                name = str(key).upper()
                if name not in _NOT_LEXICAL and name in IDS:
                    found.add(IDS[name])
    return found


def lean_getters(
    getters: dict[int, Callable[[str], Any]], needed: Iterable[int] = ()
) -> dict[int, Callable[[str], Any]]:
    """The entries of a vocabulary's `lex_attr_getters` for ALWAYS and `needed` attributes."""
    keep = ALWAYS | set(needed)
    return {attr: getter for attr, getter in getters.items() if attr in keep}
