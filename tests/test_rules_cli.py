"""A broken rule file is one line naming file and line at the CLI; KUZET_PATTERNS_DIR; eval."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlp.pipeline import build_nlp, ruleset
from nlp.rules import PATTERNS_DIR, legal_patterns_path, load_rules, rules_version
from tests.conftest import SAMPLE
from tests.test_cli import one_error_line

TEXT = "Полицейские вымогали деньги у геев, угрожая раскрыть их сексуальную ориентацию."


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of data/patterns that KUZET_PATTERNS_DIR points at (rule caches emptied)."""
    copy = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, copy)
    monkeypatch.setenv("KUZET_PATTERNS_DIR", str(copy))
    ruleset.cache_clear()
    build_nlp.cache_clear()
    yield copy
    ruleset.cache_clear()
    build_nlp.cache_clear()


def _append(path: Path, line: str) -> int:
    """Append a line to a rule file; returns its line number."""
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([*lines, line]) + "\n", "utf-8")
    return len(lines) + 1


def test_the_rules_directory_can_be_pointed_elsewhere(run, rules_copy: Path) -> None:
    rule = {"id": "sogi.ru.test", "label": "sogi", "lang": "ru", "weight": 9, "pattern": "зюзюка"}
    _append(rules_copy / "sogi.jsonl", json.dumps(rule, ensure_ascii=False))
    result = json.loads(run("classify", "Сегодня в зоопарке родилась зюзюка.").stdout)
    assert result["flagged"] == ["sogi"]
    assert result["topics"]["sogi"]["evidence"][0]["rule"] == "sogi.ru.test"


def test_a_bad_json_line_is_one_error_naming_file_and_line(run, rules_copy: Path) -> None:
    path = rules_copy / "hate_crime.jsonl"
    number = _append(path, '{"id": "hate_crime.ru.x", "label": "hate_crime",')
    result = run("classify", TEXT)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert f"{path}:{number}: not valid JSON" in line
    corpus = rules_copy.parent / "corpus.jsonl"
    corpus.write_text(json.dumps({"text": TEXT, "labels": ["sogi"]}) + "\n", "utf-8")
    evaluated = run("eval", str(corpus))
    assert evaluated.exit_code == 1
    assert f"{path}:{number}: not valid JSON" in one_error_line(evaluated)


def test_a_duplicate_id_stops_annotate_in_one_line(run, rules_copy: Path) -> None:
    path = rules_copy / "sogi.jsonl"
    first = json.loads(path.read_text("utf-8").splitlines()[0])
    number = _append(path, json.dumps(first, ensure_ascii=False))
    assert run("import", str(SAMPLE)).exit_code == 0
    result = run("annotate")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert f"{path}:{number}: duplicate id {first['id']!r} (first at {path}:1)" in line


def test_a_missing_rules_directory_or_thresholds(run, rules_copy: Path) -> None:
    (rules_copy / "topics.toml").write_text("sogi = 3\n", "utf-8")
    bad = run("classify", TEXT)
    assert bad.exit_code == 1
    assert "topics.toml: [sogi] needs a positive 'threshold'" in one_error_line(bad)
    shutil.rmtree(rules_copy)
    gone = run("classify", TEXT)
    assert gone.exit_code == 1
    assert "the topic rules directory does not exist" in one_error_line(gone)


def test_eval_of_an_empty_corpus_is_an_error(run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", "utf-8")
    result = run("eval", str(empty), "--json")
    assert result.exit_code == 1
    assert "no labelled items to score" in one_error_line(result)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{nope\n", "utf-8")
    result = run("eval", str(broken))
    assert result.exit_code == 1
    assert f"1 bad lines, the first: {broken}:1:" in one_error_line(result)


def test_legal_patterns_come_from_the_rules_directory_when_it_has_them(
    run, rules_copy: Path
) -> None:
    text = "Законопроект № 123-VIII рассмотрен; проект ЗЮЗ-77 тоже."
    before = json.loads(run("classify", text).stdout)["legal"]
    assert [ref["number"] for ref in before if ref["label"] == "BILL_NUMBER"] == ["123-VIII"]
    pattern = {
        "id": "legal.bill.test",
        "label": "BILL_NUMBER",
        "lang": "ru",
        "regex": r"проект\s+(?P<number>ЗЮЗ-\d+)",
    }
    _append(rules_copy / "legal.jsonl", json.dumps(pattern, ensure_ascii=False))
    ruleset.cache_clear()
    build_nlp.cache_clear()
    after = json.loads(run("classify", text).stdout)["legal"]
    assert "ЗЮЗ-77" in [ref["number"] for ref in after if ref["label"] == "BILL_NUMBER"]


def test_a_broken_legal_pattern_file_in_the_rules_directory_is_one_error_line(
    run, rules_copy: Path
) -> None:
    path = rules_copy / "legal.jsonl"
    number = _append(path, '{"id": "legal.x", "label": "BILL_NUMBER", "lang": "ru"}')
    result = run("classify", TEXT)
    assert result.exit_code == 1
    assert f"{path}:{number}:" in one_error_line(result)
    path.write_bytes(b'{"id": "legal.\xff"}\n')  # not UTF-8
    ruleset.cache_clear()
    build_nlp.cache_clear()
    result = run("classify", TEXT)
    assert result.exit_code == 1
    assert f"{path}: cannot read:" in one_error_line(result)


def test_the_rules_version_covers_the_legal_patterns_wherever_they_come_from(
    tmp_path: Path,
) -> None:
    own = tmp_path / "own"
    shutil.copytree(PATTERNS_DIR, own)
    lexicons = PATTERNS_DIR.parent / "lexicons"
    with_legal = load_rules(own).version
    (own / "legal.jsonl").write_text(
        (own / "legal.jsonl").read_text("utf-8") + "\n", "utf-8"
    )  # a blank line: the same patterns, other bytes
    assert load_rules(own).version != with_legal
    (own / "legal.jsonl").unlink()  # none here: the project's are used, and hashed
    assert legal_patterns_path(own) == PATTERNS_DIR / "legal.jsonl"
    without = load_rules(own).version
    assert without != rules_version(own, lexicons)
    assert without == rules_version(own, lexicons, files=(PATTERNS_DIR / "legal.jsonl",))
