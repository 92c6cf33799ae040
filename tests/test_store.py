"""The SQLite store: schema, migrations, upserts and versions, and refusing bad databases."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kuzet import migrations
from kuzet.documents import NewDocument
from kuzet.errors import DatabaseNotFoundError, SchemaTooNewError, StoreError
from kuzet.store import SearchFilters, Store

TABLES = {
    "sources",
    "documents",
    "document_versions",
    "annotations",
    "bills",
    "bill_events",
    "runs",
    "outbox",
    "documents_fts",
    "_sqlite_migrations",
}


def doc(text: str = "Первый текст о правах человека.", **kw: str) -> NewDocument:
    fields = {"url": "https://example.kz/news/1", "source": "example", "title": "Заголовок"}
    return NewDocument(text=text, **{**fields, **kw})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ids(store: Store, match: str) -> list[int]:
    return [r["id"] for r in store.search(match, SearchFilters())]


def test_fresh_database_has_schema_wal_and_migration_record(store: Store) -> None:
    assert set(store.schema_columns()) >= TABLES
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert store.db.execute("PRAGMA application_id").fetchone()[0] == migrations.APPLICATION_ID
    assert store.applied_migrations() == migrations.known_names()


def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    Store.open(db_path).close()
    with Store.open(db_path) as again:
        assert again.applied_migrations() == migrations.known_names()


def test_same_document_twice_leaves_one_row(store: Store) -> None:
    first = store.upsert_documents([doc()])
    second = store.upsert_documents([doc()])
    assert (first.new, second.unchanged, second.new) == (1, 1, 0)
    assert store.count_documents() == 1
    assert store.db.execute("SELECT count(*) FROM document_versions").fetchone()[0] == 0


def test_changed_text_makes_a_new_version_and_keeps_the_old(store: Store) -> None:
    store.upsert_documents([doc("Старый текст про дискриминацию.")])
    counts = store.upsert_documents([doc("Новый текст про равенство.")])
    assert counts.changed == 1
    current = store.get_document("https://example.kz/news/1")
    assert current["version"] == 2
    assert current["text"] == "Новый текст про равенство."
    old = store.db.execute("SELECT version, text FROM document_versions").fetchall()
    assert old == [(1, "Старый текст про дискриминацию.")]
    # the index follows the current text only
    assert ids(store, "равенство") == [current["id"]]
    assert ids(store, "дискриминацию") == []


def test_title_correction_updates_in_place_and_reindexes(store: Store) -> None:
    store.upsert_documents([doc(title="Черновик")])
    counts = store.upsert_documents([doc(title="Окончательный заголовок")])
    assert counts.unchanged == 1
    assert store.get_document("1")["version"] == 1
    assert ids(store, "окончательный") == [1]
    assert ids(store, "черновик") == []


def test_unknown_source_is_created(store: Store) -> None:
    store.upsert_documents([doc(source="newsite")])
    assert "newsite" in store.source_ids()


def test_runs_are_recorded(store: Store) -> None:
    run_id = store.start_run("crawl", "vlast")
    store.finish_run(run_id, "partial", pages=3, errors=1, message="one page failed")
    row = store.db.execute("SELECT status, pages, errors, finished_at FROM runs").fetchone()
    assert row[:3] == ("partial", 3, 1)
    assert row[3] is not None


def test_reader_is_not_blocked_by_a_writer(db_path: Path) -> None:
    with Store.open(db_path) as writer, Store.open(db_path, create=False) as reader:
        writer.upsert_documents([doc()])
        writer.db.execute("BEGIN IMMEDIATE")
        writer.db.execute("UPDATE documents SET title = 'в процессе'")
        assert [r["title"] for r in reader.search(None, SearchFilters())] == ["Заголовок"]
        writer.db.execute("COMMIT")
        assert [r["title"] for r in reader.search(None, SearchFilters())] == ["в процессе"]


def test_missing_database_is_not_created_by_readers(db_path: Path) -> None:
    with pytest.raises(DatabaseNotFoundError, match="no database at"):
        Store.open(db_path, create=False)
    assert not db_path.exists()


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nowhere" / "kuzet.db")


def test_directory_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        Store.open(tmp_path / "afile" / "kuzet.db")


def test_not_a_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"These are my notes, not a database.\n" * 50)
    before = digest(path)
    with pytest.raises(StoreError, match="is not a SQLite database"):
        Store.open(path)
    assert digest(path) == before


def test_other_applications_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x TEXT)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreError, match="not a Kuzet one"):
        Store.open(path)
    assert digest(path) == before


def test_database_from_a_newer_version_is_refused_and_left_alone(db_path: Path) -> None:
    with Store.open(db_path) as s:
        s.upsert_documents([doc()])
        s.db.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('kuzet', '0099_from_the_future', '2030-01-01')"
        )
        s.db.conn.commit()
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = digest(db_path)
    with pytest.raises(SchemaTooNewError, match=r"newer version of Kuzet.*0099_from_the_future"):
        Store.open(db_path)
    assert digest(db_path) == before


def test_unwritable_directory_is_a_clear_error_and_writes_nothing() -> None:
    top = Path(tempfile.mkdtemp(prefix="kuzet-ro-"))
    try:
        top.chmod(0o755)
        locked = top / "locked"
        locked.mkdir(mode=0o555)
        if os.geteuid() != 0:
            with pytest.raises(StoreError, match="not writable"):
                Store.open(locked / "kuzet.db")
        else:  # root writes anywhere: run the CLI without the capability that allows it
            drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
            result = subprocess.run(
                [*drop, sys.executable, "-m", "kuzet", "--db", str(locked / "kuzet.db"), "migrate"],
                capture_output=True,
                text=True,
                cwd=top,
                check=False,
                env={**os.environ, "KUZET_VAR": str(top / "var")},
            )
            assert result.returncode == 1, result.stderr
            assert result.stderr.strip().splitlines() == [
                f"Error: database directory {locked} is not writable"
            ]
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(top)


def test_opening_the_store_again_keeps_the_first_connections_locks(db_path: Path) -> None:
    """A process holding a connection opens the store again (the crawler does, per pipeline);
    another process then opens and closes the database. Had the second open dropped the first
    connection's POSIX locks, that process would believe itself the last user and delete the
    WAL under the open connection (lost writes, or a corrupt file)."""
    import subprocess
    import sys

    with Store.open(db_path) as first:
        run_id = first.start_run("crawl", "vlast")
        with Store.open(db_path) as second:
            assert second.run_rows()[0]["id"] == run_id
        reader = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        reader += "c.execute('SELECT count(*) FROM runs').fetchone(); c.close()"
        subprocess.run([sys.executable, "-c", reader, str(db_path)], check=True)
        assert db_path.with_name(db_path.name + "-wal").exists()
        first.finish_run(run_id, "ok", pages=1)
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT status FROM runs").fetchall() == [("ok",)]
    finally:
        conn.close()
