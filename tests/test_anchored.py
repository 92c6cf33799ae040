"""Tests for `nlp.anchored`: the same matches as `re.finditer`, found from a literal first."""

from __future__ import annotations

import random
import re

import pytest

from nlp.anchored import AnchoredRegex
from nlp.components.legal import load_legal_patterns
from nlp.literals import Locator, fold


def _spans(matches: object) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in matches]  # type: ignore[attr-defined]


def _same(source: str, text: str, flags: int = re.IGNORECASE) -> AnchoredRegex:
    search = AnchoredRegex(source, flags)
    folded = fold(text)
    located = Locator(search.anchors).locate(folded) if folded is not None else None
    expected = _spans(re.finditer(source, text, flags))
    assert _spans(search.finditer(text, folded, located)) == expected
    assert _spans(search.finditer(text)) == expected
    return search


def test_optional_prefix_is_found_back_to_the_last_character_it_cannot_hold() -> None:
    source = r"(?:Конституционн\w+\s+)?\b(?:закон|кодекс)\w{0,3}\s*«(?P<title>[^«»\n]{3,80})»"
    text = "Принят. Конституционный закон «О выборах», и кодекс «Об охране», а закон без кавычек."
    search = _same(source, text)
    assert search.anchors == ("закон", "кодекс")
    assert search.barrier is not None
    matches = list(search.finditer(text))
    assert [m["title"] for m in matches] == ["О выборах", "Об охране"]
    assert matches[0].group().startswith("Конституционный")


def test_a_later_anchor_can_start_a_match_before_an_earlier_one() -> None:
    # "ab" at 4 lets a match start at 0 (a wide prefix), before the one "ab" at 2 gives
    source = r"(?:x\w{0,3})?ab\d"
    for text in ("xyzab1ab2", "xyab1", "ab1ab2xab3", "xxxxab1"):
        _same(source, text)


def test_lookbehind_and_word_boundary_see_the_text_before_the_anchor() -> None:
    _same(
        r"(?<![\w.])(?:№|No\.?|N)\s*(?P<number>\d{1,5}-[IVX]{1,5})\b", "a№ 169-VI; № 12-V, .N 3-I"
    )
    _same(r"\bзакон\w*", "беззаконие, Закон и законы")


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"is\w*", "Is ıs ıs İs is"),  # dotless ı equals i when ignoring case in `re`
        (r"\bstate\w*", "ſtate STATE State"),  # long s equals s
        (r"закон\w*", "ЗАКОН Закон закон"),
    ],
)
def test_case_folding_agrees_with_re_ignorecase(source: str, text: str) -> None:
    _same(source, text)


def test_text_that_does_not_fold_one_for_one_falls_back_to_re() -> None:
    assert fold("İstanbul") is None
    _same(r"stanbul\w*", "İstanbul, istanbul")


def test_rare_first_characters_are_scanned_for_instead_of_a_literal() -> None:
    search = _same(r"\b(?P<id>[ZKVPUS]\d{10})\b", "z1800000169, Z1800000169x, V2100022222")
    assert search.scan
    assert not search.anchors
    assert _same(r"«(?P<t>[^«»]{3,40})»\s+заң\w*", "«Неке туралы» Заңы, «жоқ»").scan


@pytest.mark.parametrize(
    "source",
    [
        r"(\w)\1",  # a back-reference: the groups must be matched in order
        r"x*",  # can match the empty string
        r"[a-z]{2}",  # no literal of three characters, no rare character
    ],
)
def test_patterns_without_a_usable_anchor_are_searched_by_re(source: str) -> None:
    search = _same(source, "aa b1 x xx c2", flags=0)
    assert not search.anchored


def test_locator_reports_overlapping_and_nested_strings() -> None:
    locator = Locator(["закон", "законопроект", "проект", "кон"])
    found = locator.locate("законопроект и закон")
    assert found == {
        "закон": [0, 15],
        "законопроект": [0],
        "кон": [2, 17],
        "проект": [6],
    }
    assert Locator([]).locate("что угодно") == {}


def test_every_legal_pattern_is_anchored_and_matches_as_re_does() -> None:
    patterns = load_legal_patterns()
    texts = [
        "Законопроект «О внесении изменений» одобрен в первом чтении 12 марта 2025 года; "
        "ст. 174 УК РК, ч. 1 статьи 14 Конституции, № 169-VI ЗРК, Z1800000169.",
        "Мәжіліс депутаттары «Неке және отбасы туралы» Заңына түзетулерді бірінші оқылымда "
        "мақұлдады; ҚК-нің 174-бабы, 174-бабының 1-бөлігі.",
        "The Senate approved the bill “On Mass Media”; Article 14 of the Constitution; "
        "the law No. 12-V was signed into law by President Tokayev.",
    ]
    for obj in patterns:
        search = AnchoredRegex(obj["regex"], re.IGNORECASE)
        assert search.anchored, obj["id"]
        for text in texts:
            _same(obj["regex"], text)


_ATOMS = [
    r"\w+", r"\s+", r"\s*", r"\d+", r"\d{1,3}", r"[^\s.!?]+\s+", r"[аб]", r"\b", r"(?<!\w)",
    r"[^«»]{1,5}", r"x?", r"«", r"»", r"\.", r"-", r"(?:a|ab)", r"№\s*", r"(?P<g>\w{1,3})",
]  # fmt: skip
_WORDS = ["закон", "Закон", "кодекс", "ст.", "abc", "ıs", "İs", "ſt", "бап", "баб"]
_CHARS = [*"закон кодекс ст. abc ıİſ бап баб «» 12 .!?\n-№3", "Закон", "КОДЕКС", " "]


def _random_pattern(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(2, 5) if depth == 0 else rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(re.escape(rng.choice(_WORDS)))
        elif roll < 0.8 or depth > 1:
            parts.append(rng.choice(_ATOMS))
        else:
            parts.append(f"(?:{_random_pattern(rng, depth + 1)})" + rng.choice(["", "?", "{0,2}"]))
    source = "".join(parts)
    return source.replace("(?P<g>", "(?:", source.count("(?P<g>") - 1)


def test_random_patterns_on_random_texts_match_as_re_does() -> None:
    rng = random.Random(20240611)
    anchored = 0
    for _ in range(400):
        source = _random_pattern(rng)
        try:
            re.compile(source)
        except re.error:
            continue
        flags = rng.choice([re.IGNORECASE, 0])
        anchored += AnchoredRegex(source, flags).anchored
        for _ in range(8):
            text = "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 60)))
            _same(source, text, flags)
    assert anchored > 100  # the comparison covered anchored patterns, not only fallbacks
