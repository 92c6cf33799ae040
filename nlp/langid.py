"""Language identification for ru, kk and en: by script, Kazakh-only letters and function words.

Per document, and per paragraph where Russian and Kazakh are mixed (`segments`).
"""

from __future__ import annotations

import re
from functools import cache

from nlp.lexicons import LEXICONS, load_lexicon

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")
_CYR_WORD = re.compile(r"(?<![^\W\d_])[\u0400-\u04ff]")
_KK_WORD = re.compile(r"(?<![^\W\d_])[^\W\d_]*[әғқңөұүһі][^\W\d_]*")
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
    return (
        load_lexicon(LEXICONS / "langid_kk_markers.txt"),
        load_lexicon(LEXICONS / "langid_en_markers.txt"),
    )


def _word_regex(words: frozenset[str]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W\d_])(?:{alternation})(?![^\W\d_])")


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    kk_markers, en_markers = _markers()
    return _word_regex(kk_markers), _word_regex(en_markers)


def detect(text: str, hint: str | None = None) -> str:
    """The language of `text` (`ru`, `kk` or `en`); `hint` decides only when text says little.

    Counts are made with regular expressions over the whole sample, not word by word in
    Python: this runs on every paragraph of every document.
    """
    sample = text[:20_000].lower()
    words = len(_WORD.findall(sample))
    if not words:
        return hint if hint in LANGS else "ru"
    kk_marker, en_marker = _patterns()
    kk_words = len(kk_marker.findall(sample))
    if len(_CYR_WORD.findall(sample)) >= words / 2:
        kk_letters = len(_KK_WORD.findall(sample))
        return "kk" if (kk_letters + kk_words) / words >= 0.08 else "ru"
    latin_kk = len(_KK_LATIN_WORD.findall(sample)) + kk_words
    english = len(en_marker.findall(sample))
    if latin_kk > english and latin_kk / words >= 0.15:
        return "kk"
    if words < 3 and hint in LANGS:
        return hint
    return "en"


def segments(text: str, hint: str | None = None) -> list[tuple[str, int, int]]:
    """Runs of paragraphs in one language: `(lang, start, end)` character ranges covering text.

    Paragraphs of 80 letters or more are identified on their own; shorter ones (a caption, a
    dateline) join the run they stand in. Text with no long paragraph is identified as a whole.
    """
    paragraphs = [(m.start(), m.end(), m.group()) for m in _PARAGRAPH.finditer(text)]
    langs = [
        detect(para, hint) if sum(map(len, _WORD.findall(para))) >= 80 else None
        for _start, _end, para in paragraphs
    ]
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
