"""Language identification for ru, kk and en: by script, Kazakh-only letters and function words.

Per document, and per paragraph where Russian and Kazakh are mixed (`segments`).
"""

from __future__ import annotations

import re
from functools import cache

from nlp.lexicons import LEXICONS, load_lexicon

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")
_KK_LETTERS = frozenset("әғқңөұүһі")
# Latin-script Kazakh: a letter of the official alphabets, a q not followed by u (English
# has hardly any), or an informal spelling of a frequent ending (genitive -nyng, participle
# -ghan, locative adjective -dagy …).
_KK_LATIN_WORD = re.compile(
    r"(?<![^\W\d_])(?:[^\W\d_]*(?:[áǵńóúýıäğñöşūü]|q(?!u))[^\W\d_]*"
    r"|[^\W\d_]+(?:nyng|ning|dyng|ding|tyng|ting|ghan|ghen|daghy|degi|dagy|tagy|tegi|lardy"
    r"|lerdi|dardy|derdi|ndagy|ndegi)(?![^\W\d_]))"
)
LANGS = ("ru", "kk", "en")


@cache
def _markers() -> tuple[frozenset[str], frozenset[str]]:
    """Kazakh and English marker words. Each must be one lower-case word (letters only):
    a marker counts when a whole word of the text equals it."""
    markers = []
    for name in ("langid_kk_markers.txt", "langid_en_markers.txt"):
        words = load_lexicon(LEXICONS / name)
        if bad := sorted(w for w in words if not _WORD.fullmatch(w) or w != w.lower()):
            raise ValueError(f"{LEXICONS / name}: not single lower-case words: {', '.join(bad)}")
        markers.append(words)
    return markers[0], markers[1]


def detect(text: str, hint: str | None = None) -> str:
    """The language of `text` (`ru`, `kk` or `en`); `hint` decides only when text says little.

    Counts are made over the words of the whole sample (the first 20,000 characters), found
    by one regular expression; marker words are looked up in sets.
    """
    sample = text[:20_000].lower()
    return _detect(_WORD.findall(sample), sample, hint)


def _detect(words: list[str], sample: str, hint: str | None) -> str:
    """`detect` on a lower-cased sample and its words (maximal runs of letters)."""
    if not words:
        return hint if hint in LANGS else "ru"
    kk_markers, en_markers = _markers()
    kk_words = sum(1 for w in words if w in kk_markers)
    if sum(1 for w in words if "\u0400" <= w[0] <= "\u04ff") >= len(words) / 2:
        kk_letters = sum(1 for w in words if not _KK_LETTERS.isdisjoint(w))
        return "kk" if (kk_letters + kk_words) / len(words) >= 0.08 else "ru"
    latin_kk = len(_KK_LATIN_WORD.findall(sample)) + kk_words
    english = sum(1 for w in words if w in en_markers)
    if latin_kk > english and latin_kk / len(words) >= 0.15:
        return "kk"
    if len(words) < 3 and hint in LANGS:
        return hint
    return "en"


def segments(text: str, hint: str | None = None) -> list[tuple[str, int, int]]:
    """Runs of paragraphs in one language: `(lang, start, end)` character ranges covering text.

    Paragraphs of 80 letters or more are identified on their own; shorter ones (a caption, a
    dateline) join the run they stand in. Text with no long paragraph is identified as a whole.
    """
    paragraphs = [(m.start(), m.end(), m.group()) for m in _PARAGRAPH.finditer(text)]
    langs = [_paragraph_lang(para, hint) for _start, _end, para in paragraphs]
    known = [lang for lang in langs if lang]
    if not known:
        return [(detect(text, hint), 0, len(text))]
    current = known[0]
    runs: list[tuple[str, int, int]] = []
    for (start, end, _para), lang in zip(paragraphs, langs, strict=True):
        current = lang or current
        if runs and runs[-1][0] == current:
            runs[-1] = (current, runs[-1][1], end)
        else:
            runs.append((current, start, end))
    runs[0] = (runs[0][0], 0, runs[0][2])
    runs[-1] = (runs[-1][0], runs[-1][1], len(text))
    return runs


def _paragraph_lang(para: str, hint: str | None) -> str | None:
    """The paragraph's language if it has 80 letters or more, else None."""
    lowered = para.lower()  # letters stay letters, one for one (İ: i and a combining mark)
    words = _WORD.findall(lowered)
    if sum(map(len, words)) < 80:
        return None
    if len(para) > 20_000:
        return detect(para, hint)
    return _detect(words, lowered, hint)
