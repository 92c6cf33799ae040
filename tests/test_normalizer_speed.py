"""The normaliser's shortcuts give pymorphy3's answers: `MorphAnalyzer.parse(word)[0]`."""

from __future__ import annotations

import random

from nlp.components.normalizer import (
    _RU_LOWER_WORD,
    _dictionary_normal_form,
    _known_suffix_normal_form,
    _morph,
    _prefix_units,
    _ru_normal_form,
    _unknown_prefix_normal_form,
)

LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
SEEDS = (
    "стали мыла печь три души пропаганда гей закон простой мой её который быть суд ёж "
    "сообщество дискриминация насилие преступление защитить равенство кот читать бежать"
)


def _reference(word: str) -> str:
    """The straightforward form: pymorphy3's most probable analysis, `ё` written `е`."""
    return _morph().parse(word)[0].normal_form.replace("ё", "е")  # type: ignore[attr-defined]


def _words() -> list[str]:
    """Dictionary forms, and words pymorphy3 does not know made from them the ways its
    analogy units read (unknown or known prefix + a form, a form with changed start or end),
    random letter strings, and odd ones (hyphens, digits, Latin, Kazakh letters, `ё`)."""
    morph = _morph()
    forms = sorted(
        {
            form.word.replace("ё", "е")
            for seed in SEEDS.split()
            for parse in morph.parse(seed)  # type: ignore[attr-defined]
            for form in parse.lexeme
        }
    )
    rng = random.Random(20261201)
    words = set(forms)
    for form in forms:
        words.add("".join(rng.choices(LETTERS, k=rng.randint(1, 5))) + form)
        words.add(rng.choice(["псевдо", "анти", "гипер", "квази", "лже", "мега"]) + form)
        words.add(form[: rng.randint(1, len(form))] + "".join(rng.choices(LETTERS, k=3)))
        words.add("".join(rng.choices(LETTERS, k=rng.randint(1, 4))) + form[2:])
    words.update("".join(rng.choices(LETTERS, k=rng.randint(1, 14))) for _ in range(3000))
    words.update(
        "".join(rng.choices(LETTERS + "ё-0a9zәіңқ", k=rng.randint(1, 10))) for _ in range(1500)
    )
    words.update(["", "я", "ъ", "ё", "ээээ", "бутявкать", "байткод", "псевдокошка", "наикотик"])
    return sorted(words)


def test_ru_normal_forms_are_pymorphys() -> None:
    _ru_normal_form.cache_clear()
    words = _words()
    assert len(words) > 7000
    fast = unknown = 0
    for word in words:
        expected = _reference(word)
        assert _ru_normal_form(word) == expected, word
        if _dictionary_normal_form(word) is None:
            unknown += 1
            found = _unknown_prefix_normal_form(word)
            if found is not None:
                fast += 1
                assert found.replace("ё", "е") == expected, word
    # the shortcut is in use for most unknown words, and not for all of them
    assert 3000 < fast < unknown - 500


def test_known_suffix_shortcut_gives_the_parse_known_suffix_analyzer_ranks_first() -> None:
    units = _prefix_units()
    assert units is not None
    suffix_unit = units[3]
    checked = 0
    for word in _words():
        if not _RU_LOWER_WORD.fullmatch(word) or _dictionary_normal_form(word) is not None:
            continue
        best = _morph().parse(word)[0]  # type: ignore[attr-defined]
        if best.methods_stack[-1][0] is suffix_unit:
            checked += 1
            assert _known_suffix_normal_form(word, suffix_unit) == best.normal_form, word
    assert checked > 1000
    # too short for the unit (4 letters at least): no answer, the full parse decides
    assert _known_suffix_normal_form("шмя", suffix_unit) is None


def test_the_unknown_word_shortcut_holds_for_pymorphys_russian_units_only() -> None:
    assert _prefix_units() is not None
    # not a word of small Russian letters, or split by a known prefix: no shortcut
    for word in ["ёжик-ок", "Бутявка", "бутявка1", "псевдобутявка", "антикот", "ab", "бу"]:
        assert _unknown_prefix_normal_form(word) is None, word
    assert _unknown_prefix_normal_form("байткод") == _reference("байткод")
