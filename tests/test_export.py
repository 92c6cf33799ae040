"""`kuzet export --out`: never over the database or the archive; FIFOs, symlinks, permissions."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kuzet.store import Store
from tests.conftest import SAMPLE
from tests.test_cli import one_error_line


@pytest.fixture
def loaded(run, db_path: Path) -> Path:
    """The CLI's database with the sample documents in it."""
    assert run("import", str(SAMPLE)).exit_code == 0
    return db_path


def _untouched(db: Path, before: bytes) -> None:
    assert db.read_bytes() == before
    with Store.open(db, create=False) as store:
        assert store.count_documents() > 20


def test_export_refuses_the_database_and_its_side_files(run, loaded: Path, tmp_path: Path) -> None:
    before = loaded.read_bytes()
    link = tmp_path / "innocent.jsonl"
    link.symlink_to(loaded)
    for out in (loaded, link, Path(f"{loaded}-wal"), Path(f"{loaded}-journal")):
        result = run("export", "гей", "--out", str(out))
        assert result.exit_code == 1, out
        assert "refusing to write the export over the database" in one_error_line(result)
        _untouched(loaded, before)
    assert link.is_symlink()
    assert not Path(f"{loaded}-journal").exists()


def test_export_refuses_the_evidence_archive(run, loaded: Path) -> None:
    archive = Path(os.environ["KUZET_VAR"]) / "archive"
    archive.mkdir(parents=True)
    warc = archive / "kuzet-vlast-1.warc.gz"
    warc.write_bytes(b"evidence")
    result = run("export", "--out", str(warc))
    assert result.exit_code == 1
    assert "evidence archive" in one_error_line(result)
    assert warc.read_bytes() == b"evidence"


def test_export_into_a_fifo_writes_through_it(run, loaded: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("export", "--format", "jsonl", "--out", str(fifo))
    # a reader still waiting for a writer (the export went elsewhere) sees the end; with no
    # reader left (the export's own writes ended it), opening fails and nothing is needed
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # not replaced by a regular file
    lines = received[0].decode("utf-8").splitlines()
    assert len(lines) > 20
    assert all(json.loads(line)["url"] for line in lines)


def test_export_keeps_permissions_and_symlinks(run, loaded: Path, tmp_path: Path) -> None:
    existing = tmp_path / "shared.csv"
    existing.write_text("old\n", "utf-8")
    existing.chmod(0o644)
    assert run("export", "--format", "csv", "--out", str(existing)).exit_code == 0
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644  # mkstemp alone would leave 0600
    assert existing.read_text("utf-8").startswith("id,url,")
    fresh = tmp_path / "fresh.csv"
    assert run("export", "--format", "csv", "--out", str(fresh)).exit_code == 0
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask
    real = tmp_path / "real.jsonl"
    real.write_text("", "utf-8")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    assert run("export", "--out", str(link)).exit_code == 0
    assert link.is_symlink()
    assert len(real.read_text("utf-8").splitlines()) > 20


def test_csv_cells_cannot_start_a_formula(run, tmp_path: Path) -> None:
    data = tmp_path / "formula.jsonl"
    record = {
        "url": "https://example.kz/formula",
        "title": '=HYPERLINK("http://evil.example","click")',
        "text": "@SUM(1+1) дискриминация",
        "lang": "ru",
    }
    data.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    assert run("import", str(data)).exit_code == 0
    out = tmp_path / "hits.csv"
    assert run("export", "--format", "csv", "--out", str(out)).exit_code == 0
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["title"] == "'" + record["title"]
    assert row["text"] == "'" + record["text"]
    assert row["url"] == record["url"]
    listed = run("search", "дискриминация", "--format", "csv")
    hit = next(csv.DictReader(listed.stdout.splitlines()))
    assert hit["title"].startswith("'=HYPERLINK")


def test_export_to_dev_stdout_reaches_a_pipe_or_an_appended_file(
    loaded: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "kuzet", "--db", str(loaded), "export", "--out", "/dev/stdout"]
    piped = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.decode("utf-8").splitlines()
    assert len(lines) > 20
    assert all(json.loads(line)["url"] for line in lines)  # the summary line goes to stderr
    assert b"documents written" in piped.stderr
    log = tmp_path / "log.jsonl"
    log.write_text("kept\n", "utf-8")
    with log.open("ab") as fh:
        appended = subprocess.run(
            command, stdout=fh, stderr=subprocess.PIPE, timeout=120, check=False
        )
    assert appended.returncode == 0, appended.stderr
    text = log.read_text("utf-8")
    assert text.startswith("kept\n")
    assert len(text.splitlines()) == len(lines) + 1
