"""The faster legal-reference search gives what the straightforward one gives.

References: `Locator` against `str.find` for every string; the `kuzet_legal` component against
every pattern run by `re.finditer` on the whole text.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from nlp.components import legal
from nlp.literals import Locator, fold
from nlp.pipeline import build_nlp

_TEXTS = [
    "",
    "а",
    "ст.",
    "Законопроект «О внесении изменений» одобрен в первом чтении 12 марта 2025 года; "
    "ст. 174 УК РК, ч. 1 статьи 14 Конституции, № 169-VI ЗРК, Z1800000169.",
    "Мажилис отклонил поправки к законопроекту. Сенат не поддержал проект закона «Об СМИ».",
    "Законопроект «О СМИ» отклонён; закон № 12-V ЗРК подписан Главой государства 30.12.2025.",
    "Мәжіліс депутаттары «Неке және отбасы туралы» Заңына түзетулерді бірінші оқылымда "
    "мақұлдады; ҚК-нің 174-бабы, 174-бабының 1-бөлігі. ҚР Еңбек кодексінің 5-бабы.",
    "The Senate approved the bill “On Mass Media”; Article 14 of the Constitution; "
    "the draft was rejected by the Mazhilis on 1 March 2025. Reg. No. 123-VII.",
    'ЗАКОНОПРОЕКТ ОТКЛОНЁН!!! ... ??? ст.ст. 1-2 УК… «««»»» "" ““ ”” № № № 1-',
    "İstanbul İİ ſtate ǅ ﬁ ẞ ΣΑΣ σς — закон\u00a0«О\u00a0браке» Кодексом",
    "😀 закон 😀 «Об\u200b этом» проект\x00отклонил 𝟏𝟐 ١٢٣ K1234567890 V0000000001",
    "\n\n\n" + "проект закона отклонил депутат " * 40 + "\n" + "статья 5 " * 30,
]


def _random_texts(count: int, seed: int) -> list[str]:
    words = [
        "закон", "законопроект", "проект", "отклонил", "не поддержал", "ст.", "статьи", "174",
        "УК", "«О браке»", '"Об СМИ"', "Мажилис", "сенат", "одобрил", "Заңы", "бабы", "-", "№",
        "169-VI", "K1800000169", "first reading", "Article 5", "the bill", ".", "!", "\n",
        "30 декабря 2025 г.", "12.03.2025", "İ", "ſ", "😀", "\u00a0", "ҚР", "кодекс",
    ]  # fmt: skip
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(0, 60))) for _ in range(count)]


def _find_all(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at >= 0:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _reference_locate(strings: list[str], text: str) -> dict[str, list[int]]:
    return {s: found for s in set(strings) if s and (found := _find_all(text, s))}


@pytest.mark.parametrize(
    "strings",
    [
        ["закон", "законопроект", "проект", "кон", "ст.", "act", "ab", "a"],
        ["\ud800x1", "😀аб", "\x00\x00\x00", "𝟏𝟐x", "аааа", "ааа"],
        [],
    ],
)
def test_locator_finds_every_occurrence_that_str_find_finds(strings: list[str]) -> None:
    locator = Locator(strings)
    alphabet = "законпректа ст.\ud800😀𝟏𝟐x1\x00-\n"
    rng = random.Random(7)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50))) for _ in range(3000)]
    for text in [*texts, *_TEXTS, *(fold(t) or "" for t in _TEXTS)]:
        assert locator.locate(text) == _reference_locate(strings, text), text


def test_locator_of_the_legal_patterns_matches_the_reference_on_folded_texts() -> None:
    component = build_nlp("ru").get_pipe("kuzet_legal")
    strings = list(component.by_literal)
    assert component.locator.grams is not None  # the table path is the one under test
    for text in [*_TEXTS, *_random_texts(300, seed=3)]:
        folded = fold(text)
        if folded is not None:
            assert component.locator.locate(folded) == _reference_locate(strings, folded)


def _reference_references(component: Any, nlp: Any, text: str) -> list[dict[str, Any]]:
    """`legal_references` as it would be with every pattern run by `re.finditer` on the text."""
    doc = nlp.make_doc(text)
    candidates = []
    for pattern in component.patterns:
        for match in pattern.regex.finditer(text):
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is not None and len(span):
                candidates.append((span, pattern, match))
    kept = legal._longest_per_label(candidates, lambda c: (c[1].label, c[0]))
    dates = component.dates.find(text) if any(p.label == "STAGE" for _s, p, _m in kept) else []
    sentences = legal._sentences(doc, text, dates) if dates else []
    refs = []
    for span, pattern, match in kept:
        attrs = legal._attributes(pattern, match)
        if pattern.label == "STAGE":
            attrs["date"] = legal._nearest_date(span, dates, sentences)
        refs.append((span, pattern.label, attrs))
    refs = legal._longest_per_label(refs, lambda r: (r[1], r[0]))
    refs.sort(key=lambda r: (r[0].start_char, -r[0].end_char, r[1]))
    return [
        {
            "label": label,
            "text": span.text,
            "start_char": span.start_char,
            "end_char": span.end_char,
            **attrs,
        }
        for span, label, attrs in refs
    ]


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_legal_references_equal_those_of_every_pattern_run_by_re(lang: str) -> None:
    nlp = build_nlp(lang)
    component = nlp.get_pipe("kuzet_legal")
    total = 0
    for text in [*_TEXTS, *_random_texts(150, seed=len(lang))]:
        doc = component(nlp.make_doc(text))
        found = legal.legal_references(doc)
        assert found == _reference_references(component, nlp, text), text
        total += len(found)
    assert total > 100  # the texts do hold references


def test_every_match_contains_one_of_what_its_pattern_needs() -> None:
    """The requirement the component skips patterns by holds on the test texts."""
    component = build_nlp("ru").get_pipe("kuzet_legal")
    assert any(p.needs and p.search.anchors for p in component.patterns)
    for text in [*_TEXTS, *_random_texts(200, seed=11)]:
        folded = fold(text)
        if folded is None:
            continue
        for pattern in component.patterns:
            for match in pattern.regex.finditer(text):
                if pattern.needs:
                    assert any(n in folded[match.start() : match.end()] for n in pattern.needs)
