"""Smaller input checks: empty database files, import fields and source ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuzet.cli import cli
from kuzet.errors import ImportLineError
from kuzet.importer import parse_record
from tests.test_cli import one_error_line

GOOD = {"url": "https://example.kz/a", "text": "Текст новости.", "lang": "ru"}


@pytest.mark.parametrize("command", [["search", "гей"], ["show", "1"], ["annotate"]])
def test_reading_an_empty_file_leaves_it_empty(tmp_path: Path, command: list[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = CliRunner().invoke(cli, ["--db", str(empty), *command])
    assert result.exit_code == 1
    assert "is an empty file, not a database yet" in one_error_line(result)
    assert empty.stat().st_size == 0
    assert not list(tmp_path.glob("empty.db-*"))


def test_an_empty_file_becomes_a_database_when_asked(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(empty), "sources"]).exit_code == 0
    assert empty.stat().st_size == 0
    assert runner.invoke(cli, ["--db", str(empty), "migrate"]).exit_code == 0
    assert runner.invoke(cli, ["--db", str(empty), "search", "гей"]).exit_code == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"published_at": "2026-02-30"}, "'published_at': '2026-02-30' is not an ISO 8601 date"),
        ({"published_at": "yesterday"}, "'published_at': 'yesterday' is not an ISO 8601"),
        ({"url": "ftp://example.kz/a"}, "'url': not an absolute http(s) URL"),
        ({"lang": "de"}, "'lang': unknown language 'de'"),
        ({"kind": "blog"}, "'kind': unknown kind 'blog'"),
        ({"source": "Vlast KZ"}, "'source': 'Vlast KZ' is not a source id"),
        ({"source": "../etc"}, "'source': '../etc' is not a source id"),
        ({"source": "a" * 101}, "is not a source id"),
    ],
)
def test_import_errors_name_the_field(change: dict[str, str], message: str) -> None:
    with pytest.raises(ImportLineError) as info:
        parse_record({**GOOD, **change})
    assert message in str(info.value)


def test_source_ids_and_their_defaults() -> None:
    assert parse_record({**GOOD, "source": "vlast"}).source == "vlast"
    assert parse_record({**GOOD, "source": "kaz.tengrinews-kz_2"}).source == "kaz.tengrinews-kz_2"
    assert parse_record(GOOD).source == "example.kz"
    assert parse_record({**GOOD, "url": "https://www.пример.kz/a"}).source == "xn--e1afmkfd.kz"
    assert parse_record(GOOD, default_source="mine").source == "mine"


def test_a_bad_source_option_stops_the_import(run, tmp_path: Path, db_path: Path) -> None:
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", "utf-8")
    result = run("import", str(data), "--source", "My Source")
    assert result.exit_code == 1
    assert "--source: 'My Source' is not a source id" in one_error_line(result)
    lines = [
        json.dumps({**GOOD, "source": "Bad Id"}),
        json.dumps({**GOOD, "url": GOOD["url"] + "b"}),
    ]
    data.write_text("\n".join(lines) + "\n", "utf-8")
    mixed = run("import", str(data))
    assert mixed.exit_code == 1
    assert f"{data}:1: 'source': 'Bad Id' is not a source id" in mixed.stderr
    assert "1 new" in mixed.stdout
