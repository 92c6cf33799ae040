"""Language identification for ru, kk and en: by script, Kazakh-only letters and function words.

Per document, and per paragraph where Russian and Kazakh are mixed (`segments`).
"""

from __future__ import annotations

import re
from functools import cache

from nlp.lexicons import LEXICONS, load_lexicon

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_KK_LETTERS = set("әғқңөұүһі")
_KK_LATIN_LETTERS = set("áǵńóúýıäğñöşūü")
LANGS = ("ru", "kk", "en")


@cache
def _markers() -> tuple[frozenset[str], frozenset[str]]:
    return (
        load_lexicon(LEXICONS / "langid_kk_markers.txt"),
        load_lexicon(LEXICONS / "langid_en_markers.txt"),
    )


def detect(text: str, hint: str | None = None) -> str:
    """The language of `text` (`ru`, `kk` or `en`); `hint` decides only when text says little."""
    words = _WORD.findall(text[:20_000].lower())
    if not words:
        return hint if hint in LANGS else "ru"
    cyr = sum(1 for w in words if "\u0400" <= w[0] <= "\u04ff")
    kk_markers, en_markers = _markers()
    if cyr >= len(words) / 2:
        kk_letters = sum(1 for w in words if _KK_LETTERS.intersection(w))
        kk_words = sum(1 for w in words if w in kk_markers)
        return "kk" if (kk_letters + kk_words) / len(words) >= 0.08 else "ru"
    latin_kk = sum(1 for w in words if _KK_LATIN_LETTERS.intersection(w) or w in kk_markers)
    english = sum(1 for w in words if w in en_markers)
    if latin_kk > english and latin_kk / len(words) >= 0.15:
        return "kk"
    if len(words) < 3 and hint in LANGS:
        return hint
    return "en"


def segments(text: str, hint: str | None = None) -> list[tuple[str, int, int]]:
    """Runs of paragraphs in one language: `(lang, start, end)` character ranges covering text.

    Short paragraphs (under 80 letters) join the run they stand in, so a Kazakh caption inside
    a Russian article does not split it.
    """
    doc_lang = detect(text, hint)
    runs: list[tuple[str, int, int]] = []
    for match in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", text):
        para = match.group()
        letters = sum(ch.isalpha() for ch in para)
        lang = detect(para, doc_lang) if letters >= 80 else (runs[-1][0] if runs else doc_lang)
        if runs and runs[-1][0] == lang:
            runs[-1] = (lang, runs[-1][1], match.end())
        else:
            runs.append((lang, match.start(), match.end()))
    if not runs:
        return [(doc_lang, 0, len(text))]
    first_lang, _s, first_end = runs[0]
    runs[0] = (first_lang, 0, first_end)
    last_lang, last_start, _e = runs[-1]
    runs[-1] = (last_lang, last_start, len(text))
    return runs
