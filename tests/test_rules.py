"""Rule files: every shipped file validates; malformed ones are named by file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.rules import (
    PATTERNS_DIR,
    TOPIC_LABELS,
    RuleError,
    load_rule_file,
    load_rules,
    load_thresholds,
    rules_version,
)


def test_every_shipped_rule_file_validates() -> None:
    ruleset = load_rules()
    assert {r.label for r in ruleset.rules} == set(TOPIC_LABELS)
    ids = [r.id for r in ruleset.rules]
    assert len(ids) == len(set(ids))
    for label in TOPIC_LABELS:
        for lang in ("ru", "kk", "en"):
            positive = [r for r in ruleset.for_lang(lang) if r.label == label and not r.exclude]
            assert len(positive) >= 3, (label, lang)
    assert set(ruleset.thresholds) == set(TOPIC_LABELS)


def test_rule_ids_name_their_label_and_language() -> None:
    for rule in load_rules().rules:
        assert rule.id.startswith(f"{rule.label}.{rule.lang}."), rule.id


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "sogi.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "a", "label": "sogi", "lang": "ru", "pattern": "ЛГБТ"})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "b", "label": "sogi", "lang": "ru", "pattern": "x"', "not valid JSON"),
        (GOOD, "duplicate id 'a'"),
        ('{"id": "b", "label": "weather", "lang": "ru", "pattern": "x"}', "unknown label"),
        ('{"id": "b", "label": "sogi", "lang": "xx", "pattern": "x"}', "unknown lang"),
        ('{"id": "b", "label": "sogi", "lang": "ru"}', "exactly one of 'pattern' or 'near'"),
        ('{"id": "b", "label": "sogi", "lang": "ru", "near": ["x"]}', "at least two"),
        (
            '{"id": "b", "label": "sogi", "lang": "ru", "pattern": "x", "wieght": 2}',
            "unknown key(s) wieght",
        ),
        (
            '{"id": "b", "label": "sogi", "lang": "ru", "pattern": "x", "weight": "2"}',
            "'weight' must be a number",
        ),
        ('{"id": "b", "label": "sogi", "lang": "ru", "pattern": []}', "pattern must be"),
        (
            '{"id": "b", "label": "sogi", "lang": "ru", "pattern": "x", "effect": "boost"}',
            "unknown effect",
        ),
    ],
)
def test_malformed_rule_lines_are_named_by_file_and_line(
    tmp_path: Path, bad: str, message: str
) -> None:
    path = write(tmp_path, GOOD, "", bad)
    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert message in str(info.value)


def test_thresholds_must_cover_every_topic(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text("[sogi]\nthreshold = 3\n[hate_crime]\nthreshold = 3\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"\[anti_discrimination\] needs a positive 'threshold'"):
        load_thresholds(path)
    path.write_text("[sogi\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"topics\.toml"):
        load_thresholds(path)


def test_rules_version_changes_with_any_rule_file(tmp_path: Path) -> None:
    patterns, lexicons = tmp_path / "patterns", tmp_path / "lexicons"
    patterns.mkdir()
    lexicons.mkdir()
    (patterns / "sogi.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    (lexicons / "words.txt").write_text("гей\n", encoding="utf-8")
    before = rules_version(patterns, lexicons)
    assert rules_version(patterns, lexicons) == before
    (lexicons / "words.txt").write_text("гей\nлесбиянка\n", encoding="utf-8")
    assert rules_version(patterns, lexicons) != before


def test_shipped_version_is_a_hash_of_data() -> None:
    assert load_rules().version == rules_version(PATTERNS_DIR, PATTERNS_DIR.parent / "lexicons")
