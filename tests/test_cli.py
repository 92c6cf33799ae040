"""The `kuzet` command line: import, search, show, export, and one-line errors."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from kuzet.cli import cli
from tests.conftest import FIXTURES, ROOT, SAMPLE

MIXED = FIXTURES / "import" / "mixed.jsonl"
EXTORTION = "https://vlast.kz/novosti/60001-sample-police-extortion.html"


def one_error_line(result: object) -> str:
    """The whole of stderr, which must be a single 'Error: …' line with no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    return lines[0]


def test_import_reports_bad_lines_by_number_and_loads_the_rest(run, db_path: Path) -> None:
    result = run("import", str(MIXED))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith(str(MIXED))]
    numbers = [int(re.match(rf"{re.escape(str(MIXED))}:(\d+):", e).group(1)) for e in errors]
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 12]
    assert "not valid JSON" in errors[0]
    assert "missing or empty 'url'" in errors[1]
    assert "unknown language 'xx'" in errors[2]
    assert "expected a JSON object" in errors[4]
    assert "not UTF-8" in errors[-1]
    assert "3 documents read: 3 new" in result.stdout
    shown = json.loads(run("show", "https://example.kz/a", "--format", "json").stdout)
    assert shown["lang"] == "ru"
    assert shown["source"] == "example.kz"
    kk = json.loads(run("show", "https://example.kz/g", "--format", "json").stdout)
    assert kk["published_at"] == "2026-10-05T00:00:00+05:00"
    assert kk["lang"] == "kk"


def test_import_of_the_same_file_again_changes_nothing(run) -> None:
    run("import", str(SAMPLE))
    again = run("import", str(SAMPLE))
    assert again.exit_code == 0, again.output
    assert re.search(r"(\d+) documents read: 0 new, 0 changed, \1 unchanged", again.stdout)


def test_import_of_a_missing_file(run) -> None:
    result = run("import", "no-such-file.jsonl")
    assert result.exit_code == 1
    assert "no such file" in one_error_line(result)


def test_search_prints_hits_in_each_format(run) -> None:
    run("import", str(SAMPLE))
    table = run("search", "вымогательство")
    assert table.exit_code == 0
    assert EXTORTION in table.stdout
    hits = json.loads(run("search", "вымогательство", "--format", "json").stdout)
    assert EXTORTION in [h["url"] for h in hits]
    assert any("**" in h["snippet"] for h in hits)
    rows = list(
        csv.DictReader(run("search", "вымогательство", "--format", "csv").stdout.splitlines())
    )
    assert [r["url"] for r in rows] == [h["url"] for h in hits]


def test_limit_and_sort_by_date(run) -> None:
    run("import", str(SAMPLE))
    hits = json.loads(run("search", "--sort", "date", "--limit", "3", "--format", "json").stdout)
    assert len(hits) == 3
    dates = [h["published_at"] for h in hits]
    assert dates == sorted(dates, reverse=True)


def test_malformed_query_exits_2_with_one_line(run) -> None:
    run("import", str(SAMPLE))
    for query in ('"unbalanced', "AND OR"):
        result = run("search", query)
        assert result.exit_code == 2
        assert "malformed search query" in one_error_line(result)


def test_unknown_filter_exits_2_with_one_line(run) -> None:
    run("import", str(SAMPLE))
    result = run("search", "гей", "--lang", "xx")
    assert result.exit_code == 2
    assert one_error_line(result) == "Error: unknown language 'xx' (expected one of: ru, kk, en)"


def test_search_on_a_missing_database(run, db_path: Path) -> None:
    result = run("search", "гей")
    assert result.exit_code == 1
    assert "no database at" in one_error_line(result)
    assert not db_path.exists()


def test_search_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    from click.testing import CliRunner

    bogus = tmp_path / "bogus.db"
    bogus.write_text("hello")
    result = CliRunner().invoke(cli, ["search", "x", "--db", str(bogus)])
    assert result.exit_code == 1
    assert one_error_line(result) == f"Error: {bogus} is not a SQLite database"
    assert bogus.read_text() == "hello"


def test_db_option_before_or_after_the_command_and_from_environment(
    tmp_path: Path, monkeypatch
) -> None:
    from click.testing import CliRunner

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(a), "import", str(SAMPLE)]).exit_code == 0
    assert runner.invoke(cli, ["import", str(MIXED), "--db", str(b)]).exit_code == 1
    monkeypatch.setenv("KUZET_DB", str(a))
    from_env = runner.invoke(cli, ["search", "вымогательство", "--format", "json"])
    assert EXTORTION in from_env.stdout
    overridden = runner.invoke(cli, ["search", "--format", "json", "--db", str(b)])
    assert EXTORTION not in overridden.stdout
    assert "https://example.kz/h" in overridden.stdout


def test_show_prints_record_and_refuses_unknown_ids(run) -> None:
    run("import", str(SAMPLE))
    result = run("show", EXTORTION)
    assert result.exit_code == 0
    assert "source: vlast" in result.stdout
    assert "Annotations (0)" in result.stdout
    missing = run("show", "999999")
    assert missing.exit_code == 1
    assert one_error_line(missing) == "Error: no document with id 999999"


def test_export_writes_every_match_beyond_the_search_limit(run, tmp_path: Path) -> None:
    run("import", str(SAMPLE))
    total = len(json.loads(run("search", "--limit", "10000", "--format", "json").stdout))
    assert total > 20
    out = tmp_path / "all.jsonl"
    result = run("export", "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 0
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(records) == total
    assert all(r["text"] and r["url"] for r in records)
    out_csv = tmp_path / "ru.csv"
    assert run("export", "--lang", "ru", "--format", "csv", "--out", str(out_csv)).exit_code == 0
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert rows
    assert {r["lang"] for r in rows} == {"ru"}


def test_export_to_an_unwritable_path_fails_cleanly(run, tmp_path: Path) -> None:
    run("import", str(SAMPLE))
    nowhere = run("export", "--out", str(tmp_path / "missing" / "x.jsonl"))
    assert nowhere.exit_code == 1
    assert "does not exist" in one_error_line(nowhere)
    a_dir = tmp_path / "adir"
    a_dir.mkdir()
    into_dir = run("export", "--out", str(a_dir))
    assert into_dir.exit_code == 1
    assert f"cannot write {a_dir}" in one_error_line(into_dir)
    assert list(a_dir.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_with_a_malformed_query_leaves_no_file(run, tmp_path: Path) -> None:
    run("import", str(SAMPLE))
    out = tmp_path / "x.csv"
    result = run("export", "AND OR", "--format", "csv", "--out", str(out))
    assert result.exit_code == 2
    assert not out.exists()
    assert list(tmp_path.glob(".x.csv*")) == []


def test_migrate_creates_the_database(run, db_path: Path) -> None:
    result = run("migrate")
    assert result.exit_code == 0
    assert "latest 0002_crawl_archive" in result.stdout
    assert db_path.exists()


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name, command in cli.commands.items():
        assert (command.help or "").strip(), name
        assert "Example:" in command.help, name
        assert f"kuzet {name}" in readme, f"README does not mention 'kuzet {name}'"


def test_bad_databases_give_one_line_and_stay_untouched(tmp_path: Path) -> None:
    import sqlite3

    from click.testing import CliRunner

    from kuzet.store import Store

    newer = tmp_path / "newer.db"
    Store.open(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    before = newer.read_bytes()
    runner = CliRunner()
    cases = {
        str(newer): "was made by a newer version of Kuzet",
        str(tmp_path / "missing" / "k.db"): "does not exist",
        str(tmp_path): "is a directory, not a file",
    }
    for path, message in cases.items():
        result = runner.invoke(cli, ["--db", path, "import", str(SAMPLE)])
        assert result.exit_code == 1, path
        assert message in one_error_line(result)
    assert newer.read_bytes() == before
