"""`langid.segments`, counting with arrays, gives the runs of the word-by-word version."""

from __future__ import annotations

import random

import pytest

from nlp import langid

_WORD = langid._WORD


def reference_segments(text: str, hint: str | None = None) -> list[tuple[str, int, int]]:
    """`segments` as it was written first: each paragraph lower-cased, its words listed."""
    paragraphs = [(m.start(), m.end(), m.group()) for m in langid._PARAGRAPH.finditer(text)]
    langs = [reference_paragraph_lang(para, hint) for _start, _end, para in paragraphs]
    known = [lang for lang in langs if lang]
    if not known:
        return [(langid.detect(text, hint), 0, len(text))]
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


def reference_paragraph_lang(para: str, hint: str | None) -> str | None:
    lowered = para.lower()
    words = _WORD.findall(lowered)
    if sum(map(len, words)) < 80:
        return None
    if len(para) > 20_000:
        return langid.detect(para, hint)
    return reference_detect(words, lowered, hint)


def reference_detect(words: list[str], sample: str, hint: str | None) -> str:
    if not words:
        return hint if hint in langid.LANGS else "ru"
    kk_markers, en_markers = langid._markers()
    kk_words = sum(1 for w in words if w in kk_markers)
    if sum(1 for w in words if "\u0400" <= w[0] <= "\u04ff") >= len(words) / 2:
        kk_letters = sum(1 for w in words if not langid._KK_LETTERS.isdisjoint(w))
        return "kk" if (kk_letters + kk_words) / len(words) >= 0.08 else "ru"
    latin_kk = len(langid._KK_LATIN_WORD.findall(sample)) + kk_words
    english = sum(1 for w in words if w in en_markers)
    if latin_kk > english and latin_kk / len(words) >= 0.15:
        return "kk"
    if len(words) < 3 and hint in langid.LANGS:
        return hint
    return "en"


def _split(words: str) -> list[str]:
    return words.split()


RU = _split("суд вынес решение по делу активистов которые требовали защиты прав сообщества")
KK = _split("мәжіліс заңды қабылдады сот шешімі белсенділер құқығы туралы және бойынша")
EN = _split("the court ruled on the case of activists who asked for protection of rights")
KK_LATIN = _split("qazaqstan sot sheshimi boıynsha jáne turaly zandy qabyldady ushin")
MARKERS = sorted(langid._markers()[0] | langid._markers()[1])
ODD = [
    *("İstanbul", "İ", "ΟΔΟΣ", "Σ", "ς", "ﬁ", "ß", "ǅ", "Ⅻ", "²", "½", "٣", "_", "__init__"),
    *("\u0482", "\u0483", "\u0488", "\u04c0", "\u0500", "\u0400", "\u04ff", "ҚАЗАҚ", "ӘЖЕ"),
    *("😀", "𝐀𝐁", "𐐀𐐁", "\U0001f1f0\U0001f1ff", "\ud800", "\udfff", "\x00", "\ufeff", "\u200b"),
    *("é", "e\u0301", "Ё", "ё", "mɪx", "ДЕП", "Және", "ЖӘНЕ", "мен2", "2мен", "сол_", "—", "…"),
]
WORD_BREAKS = [" ", " ", " ", ", ", ". ", "-", "«", "» ", "\t"]
PARAGRAPH_BREAKS = ["\n", "\n\n", "\n \n", "\n\n\n", "\r\n"]


def _random_text(rng: random.Random) -> str:
    pools = [RU, KK, EN, KK_LATIN, MARKERS, ODD]
    parts = []
    for _ in range(rng.randint(0, 8)):  # paragraphs, each mostly of one pool
        main = rng.choice(pools[:4])
        for _ in range(rng.randint(1, 40)):
            pool = main if rng.random() < 0.7 else rng.choice(pools)
            word = rng.choice(pool)
            parts.append(word.upper() if rng.random() < 0.05 else word)
            parts.append(rng.choice(WORD_BREAKS))
        parts.append(rng.choice(PARAGRAPH_BREAKS))
    return "".join(parts)


FIXED = [
    "",
    "\n",
    "\n\n \n",
    "   ",
    "слово",
    "İ" * 100,
    " ".join(RU * 3) + "\nİstanbul",
    # lower() lengthens İ: the Russian paragraph must not be counted 60 characters early
    "İ" * 60 + " " + " ".join(KK * 3) + "\n\n" + " ".join(RU * 3),
    " ".join(KK * 3) + "\n\n" + " ".join(RU * 3),
    " ".join(RU * 3) + "\n\n" + " ".join(EN * 3) + "\n\n" + " ".join(KK_LATIN * 3),
    "ΟΔΟΣ ΟΔΟΣ\n" + " ".join(RU * 3) + " ΟΔΟΣ",
    "😀 " + " ".join(RU * 3) + " 𝐀𝐁𝐂 😀\n\n" + "𐐀" * 90,
    " ".join(["мен"] * 8 + ["слово"] * 92),  # markers: 8 of 100 words, the threshold exactly
    " ".join(["мен"] * 7 + ["слово"] * 93),
    " ".join(["және"] * 4 + ["слово"] * 96),  # a marker with a Kazakh letter counts twice
    " ".join(["слово"] * 10 + ["word"] * 10),  # half Cyrillic exactly
    " ".join(["слово"] * 10 + ["word"] * 11),
    "а" * 79,
    "а" * 80,
    "а1" * 80,
    "а_" * 80,
    "\u0482\u0483" * 100 + " " + "x" * 80,
    ("слово " * 4000) + "\n\n" + ("word " * 100),  # a paragraph past 20,000 characters
    ("word " * 3999) + "және" + " ж" * 3000,
    "\ud800" + " ".join(RU * 3) + "\udfff",
]


@pytest.mark.parametrize("hint", [None, "ru", "kk", "en", "xx"])
def test_segments_answer_as_the_word_by_word_version_on_fixed_texts(hint: str | None) -> None:
    for text in FIXED:
        assert langid.segments(text, hint) == reference_segments(text, hint), repr(text[:80])


def test_segments_answer_as_the_word_by_word_version_on_random_texts() -> None:
    rng = random.Random(20261215)
    seen: set[str] = set()
    for _ in range(3000):
        text, hint = _random_text(rng), rng.choice([None, "ru", "kk", "en"])
        expected = reference_segments(text, hint)
        assert langid.segments(text, hint) == expected, repr(text)
        seen.update(run[0] for run in expected)
    assert seen == {"ru", "kk", "en"}  # the texts reach every answer


def test_segments_without_marker_words(monkeypatch: pytest.MonkeyPatch) -> None:
    # an emptied marker lexicon: Kazakh is then told by its letters alone, as before
    monkeypatch.setattr(langid, "_markers", lambda: (frozenset(), frozenset()))
    langid._marker_keys.cache_clear()
    try:
        latin = " ".join(KK_LATIN * 3) + "\n\n" + " ".join(EN * 3)
        assert langid.segments(latin) == reference_segments(latin)
        text = ("Бұл заң жобасы Мәжілісте қаралды. " * 4) + "\n\n" + ("Закон принят сегодня. " * 6)
        assert langid.segments(text) == reference_segments(text)
        assert [lang for lang, _start, _end in langid.segments(text)] == ["kk", "ru"]
    finally:
        langid._marker_keys.cache_clear()


def test_segments_with_a_word_in_both_marker_lexicons(monkeypatch: pytest.MonkeyPatch) -> None:
    # Kazakh and English markers are counted apart for Latin-script paragraphs
    kk, en = langid._markers()
    monkeypatch.setattr(langid, "_markers", lambda: (kk | {"the", "sot"}, en | {"sot"}))
    langid._marker_keys.cache_clear()
    try:
        rng = random.Random(5)
        for _ in range(300):
            text = _random_text(rng)
            assert langid.segments(text) == reference_segments(text), repr(text)
        text = " ".join(["the", "sot", "qazaq"] * 12 + ["word"] * 4)
        assert langid.segments(text) == reference_segments(text) == [("kk", 0, len(text))]
    finally:
        langid._marker_keys.cache_clear()
