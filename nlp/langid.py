"""Language identification for ru, kk and en: by script, Kazakh-only letters and function words.

Per document, and per paragraph where Russian and Kazakh are mixed (`segments`).
"""

from __future__ import annotations

import re
from functools import cache

import numpy

from nlp.lexicons import LEXICONS, load_lexicon
from nlp.text import code_points

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
# character classes of `_flag_table`, as bits
_CYRILLIC, _LETTER, _KK = 1, 2, 4


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
        return _cyrillic_lang(kk_letters + kk_words, len(words))
    latin_kk = len(_KK_LATIN_WORD.findall(sample)) + kk_words
    english = sum(1 for w in words if w in en_markers)
    return _latin_lang(latin_kk, english, len(words), hint)


def segments(text: str, hint: str | None = None) -> list[tuple[str, int, int]]:
    """Runs of paragraphs in one language: `(lang, start, end)` character ranges covering text.

    Paragraphs of 80 letters or more are identified on their own; shorter ones (a caption, a
    dateline) join the run they stand in. Text with no long paragraph is identified as a whole.
    """
    paragraphs = [(m.start(), m.end(), m.group()) for m in _PARAGRAPH.finditer(text)]
    langs = _paragraph_langs(text, paragraphs, hint)
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


def _paragraph_langs(
    text: str, paragraphs: list[tuple[int, int, str]], hint: str | None
) -> list[str | None]:
    """`_paragraph_lang` of each paragraph, counted for the whole text at once where it can.

    The counts `_detect` compares (letters, words, words starting with a Cyrillic letter,
    words with a Kazakh letter, Kazakh and English marker words) come from `_counts` and
    `_marker_counts`, a few array operations over the text's code points instead of a Python
    string per word; the Latin branch adds the matches of `_KK_LATIN_WORD` in the paragraph.
    Marker words are counted apart only when a paragraph takes the Latin branch (the
    Cyrillic branch needs their sum with the words with a Kazakh letter, from `_counts`).
    A paragraph is given to `_paragraph_lang` itself when it is longer than 20,000
    characters (only its start is read), and every paragraph is when lower-casing changes
    the text's length (then the lower-cased paragraphs are not slices of the lower-cased
    text). Otherwise `lowered[start:end]` is `para.lower()`: every character lower-cases to
    one, and the one rule that reads its neighbours (Greek final sigma) stops at the line
    breaks between paragraphs.
    """
    lowered = text.lower()
    if len(lowered) != len(text) or not paragraphs:
        return [_paragraph_lang(para, hint) for _start, _end, para in paragraphs]
    langs: list[str | None] = []
    bounds = [*(start for start, _end, _para in paragraphs), len(lowered)]
    words = _words(lowered)
    counts = _counts(lowered, words, bounds)
    markers: list[list[int]] = []  # per paragraph: Kazakh and English marker words
    for n, ((start, end, para), (letters, word_count, cyrillic, kk)) in enumerate(
        zip(paragraphs, counts, strict=True)
    ):
        if letters < 80:
            langs.append(None)
        elif len(para) > 20_000:
            langs.append(_paragraph_lang(para, hint))
        elif cyrillic >= word_count / 2:
            langs.append(_cyrillic_lang(kk, word_count))
        else:
            markers = markers or _marker_counts(lowered, words, bounds)
            kk_words, english = markers[n]
            latin_kk = len(_KK_LATIN_WORD.findall(lowered[start:end])) + kk_words
            langs.append(_latin_lang(latin_kk, english, word_count, hint))
    return langs


def _cyrillic_lang(kazakh: int, words: int) -> str:
    """The Cyrillic branch of `_detect`: Kazakh when words with a Kazakh letter and Kazakh
    marker words (`kazakh`) are 8 % of `words` or more, else Russian."""
    return "kk" if kazakh / words >= 0.08 else "ru"


def _latin_lang(latin_kk: int, english: int, words: int, hint: str | None) -> str:
    """The Latin branch of `_detect`: Latin-script Kazakh words and Kazakh marker words
    (`latin_kk`) against English marker words, among `words` words."""
    if latin_kk > english and latin_kk / words >= 0.15:
        return "kk"
    if words < 3 and hint in LANGS:
        return hint
    return "en"


def _words(lowered: str) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """The text's code points, their `_flag_table` bits, and where each word starts and ends.

    A word is a maximal run of letters (`_flag_table`), so words are told apart by where the
    letter flag changes.
    """
    codes = code_points(lowered)
    flags = _flags(codes, lowered)
    return (codes, flags, *_word_bounds(flags))


def _counts(lowered: str, words: tuple, paragraph_starts: list[int]) -> list[list[int]]:
    """Per paragraph of the lower-cased text: letters, words, words whose first letter is in
    the Cyrillic block (U+0400-U+04FF), and words with a Kazakh letter plus Kazakh marker
    words: the counts `_detect` makes over `_WORD.findall(paragraph)`. `words`: `_words`.

    The paragraphs are separated by line breaks alone (`_PARAGRAPH`), so a paragraph's
    words are those starting between its start and the next paragraph's.
    """
    _codes, flags, word_start, word_end = words
    per_word = numpy.zeros((word_start.size + 1, 4), dtype=numpy.int64)  # a row of 0s first
    per_word[1:, 0] = word_end - word_start
    per_word[1:, 1] = 1
    per_word[1:, 2] = flags[word_start] & _CYRILLIC
    kk = per_word[1:, 3]  # a marker word with a Kazakh letter counts twice, as in `_detect`
    kk_letters = numpy.flatnonzero(flags & _KK)
    if kk_letters.size:  # Kazakh letters are letters: each stands in the last word started
        kk[numpy.searchsorted(word_start, kk_letters, side="right") - 1] = 1
    kk[_marker_words(lowered, words, _marker_keys(0), _markers()[0])] += 1  # each word once
    totals = per_word.cumsum(axis=0)[numpy.searchsorted(word_start, paragraph_starts)]
    return (totals[1:] - totals[:-1]).tolist()  # sums over each paragraph's words


def _marker_counts(lowered: str, words: tuple, paragraph_starts: list[int]) -> list[list[int]]:
    """Per paragraph of the lower-cased text: Kazakh marker words and English marker words
    (as `_counts`)."""
    word_start = words[2]
    per_word = numpy.zeros((word_start.size + 1, 2), dtype=numpy.int64)  # a row of 0s first
    for column, lexicon in enumerate(_markers()):
        found = _marker_words(lowered, words, _marker_keys(column), lexicon)
        per_word[numpy.array(found, dtype=numpy.intp) + 1, column] = 1
    totals = per_word.cumsum(axis=0)[numpy.searchsorted(word_start, paragraph_starts)]
    return (totals[1:] - totals[:-1]).tolist()


def _marker_words(
    lowered: str, words: tuple, keys: numpy.ndarray, lexicon: frozenset[str]
) -> list[int]:
    """The indices of the words in `lexicon` (`keys`: its `_marker_keys`). Words are picked
    by a key of length, first and last letter; only the words whose key is a marker's are
    compared as strings."""
    codes, _flags, word_start, word_end = words
    if not keys.size:  # an empty marker list finds nothing
        return []
    word_keys = _word_keys(codes, word_start, word_end)
    found = numpy.flatnonzero(
        keys[numpy.searchsorted(keys, word_keys).clip(max=keys.size - 1)] == word_keys
    )
    return [
        i
        for i, start, end in zip(
            found.tolist(), word_start[found].tolist(), word_end[found].tolist(), strict=True
        )
        if lowered[start:end] in lexicon
    ]


@cache
def _flag_table() -> numpy.ndarray:
    """`_LETTER`, `_CYRILLIC` and `_KK` bits for each code point of the Basic Multilingual
    Plane; a letter is what `_WORD` takes into a word (`[^\\W\\d_]`)."""
    plane = "".join(map(chr, range(0x10000)))
    letters = code_points(re.sub(r"[\W\d_]", "\0", plane)) != 0
    table = numpy.where(letters, _LETTER, 0).astype(numpy.uint8)
    table[0x400:0x500] |= _CYRILLIC
    kk = [ord(c) for c in _KK_LETTERS]
    if not letters[kk].all():
        raise ValueError("_KK_LETTERS: every Kazakh letter must be a letter")
    table[kk] |= _KK
    return table


def _flags(codes: numpy.ndarray, text: str) -> numpy.ndarray:
    """`_flag_table` bits of each character of `text` (`codes`: its code points). Characters
    beyond the Basic Multilingual Plane (emoji, rare scripts) are looked up one by one."""
    flags = _flag_table().take(codes, mode="clip")
    if codes.size and codes.max() > 0xFFFF:
        for i in numpy.flatnonzero(codes > 0xFFFF).tolist():
            flags[i] = _LETTER if _WORD.match(text[i]) else 0
    return flags


def _word_bounds(flags: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Where each word (maximal run of letters) starts, and where it ends (exclusive)."""
    letter = numpy.zeros(flags.size + 2, dtype=numpy.uint8)  # a non-letter either side
    numpy.bitwise_and(flags, _LETTER, out=letter[1:-1])
    edges = numpy.flatnonzero(letter[1:] != letter[:-1])
    return edges[::2], edges[1::2]


def _word_keys(codes: numpy.ndarray, start: numpy.ndarray, end: numpy.ndarray) -> numpy.ndarray:
    """A number per word from its first and last character and its length (code points take
    21 bits): equal words have equal keys (different words may share one)."""
    key = codes[start].astype(numpy.int64) << 42
    key |= codes[end - 1].astype(numpy.int64) << 21
    return key | (end - start).clip(max=(1 << 21) - 1)


@cache
def _marker_keys(lexicon: int) -> numpy.ndarray:
    """`_word_keys` of the Kazakh (0) or English (1) marker words, sorted."""
    markers = " ".join(_markers()[lexicon])
    codes = code_points(markers)
    return numpy.unique(_word_keys(codes, *_word_bounds(_flags(codes, markers))))
