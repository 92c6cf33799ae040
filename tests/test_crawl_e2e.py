"""End to end: `kuzet crawl --sample` into a temporary database, with every bad case."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kuzet.archive import read_record
from kuzet.config import load_sources

#: Documents the sample twins hold that a crawl can read (kaztag's listing matches nothing).
EXPECTED_DOCS = 49


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Crawl the sample sites twice into one database (module-scoped: crawls are slow)."""
    import os

    from click.testing import CliRunner

    from kuzet.cli import cli

    tmp = tmp_path_factory.mktemp("crawl")
    db = tmp / "kuzet.db"
    old = os.environ.get("KUZET_VAR")
    os.environ["KUZET_VAR"] = str(tmp / "var")
    try:
        runner = CliRunner()
        first = runner.invoke(cli, ["--db", str(db), "crawl", "--sample"])
        second = runner.invoke(cli, ["--db", str(db), "crawl", "--sample"])
        show = runner.invoke(cli, ["--db", str(db), "archive", "show", "1"])
        listing = runner.invoke(cli, ["--db", str(db), "sources"])
    finally:
        if old is None:
            os.environ.pop("KUZET_VAR", None)
        else:
            os.environ["KUZET_VAR"] = old
    return {"db": db, "var": tmp / "var", "first": first, "second": second, "show": show,
            "sources": listing}  # fmt: skip


def rows(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def runs_of(db: Path, first: bool = True) -> dict[str, sqlite3.Row]:
    order = "min" if first else "max"
    sql = f"SELECT * FROM runs WHERE id IN (SELECT {order}(id) FROM runs GROUP BY source)"
    return {r["source"]: r for r in rows(db, sql)}


def test_first_crawl_stores_every_sample_site(crawled: dict) -> None:
    assert crawled["first"].exit_code == 0, crawled["first"].output
    db = crawled["db"]
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == EXPECTED_DOCS
    per_source = dict(rows(db, "SELECT source, count(*) FROM documents GROUP BY source"))
    enabled = {s.id for s in load_sources().select()}
    assert set(per_source) == enabled - {"kaztag"}
    assert per_source["adilet"] == 6  # three acts, in Russian and Kazakh
    assert per_source["legalacts"] == 4  # two list pages
    kinds = dict(rows(db, "SELECT kind, count(*) FROM documents GROUP BY kind"))
    assert set(kinds) == {"news", "law", "draft", "bill_page"}
    assert set(dict(rows(db, "SELECT lang, 1 FROM documents GROUP BY lang"))) == {"ru", "kk", "en"}


def test_one_run_row_per_source_with_method_and_counts(crawled: dict) -> None:
    runs = runs_of(crawled["db"])
    assert set(runs) == {s.id for s in load_sources().select()}
    assert runs["tengrinews"]["method"] == "feed"
    assert runs["informburo"]["method"] == "sitemap"  # its feed answers 403
    assert runs["ecom"]["method"] == "listing"
    assert runs["zakon"]["method"] == "feed"  # the second configured feed answered
    assert runs["adilet"]["method"] == "index"
    assert sum(r["new_docs"] for r in runs.values()) == EXPECTED_DOCS
    assert all(r["finished_at"] for r in runs.values())


def test_selectors_matching_nothing_is_a_loud_warning(crawled: dict) -> None:
    kaztag = runs_of(crawled["db"])["kaztag"]
    assert kaztag["status"] == "failed"
    assert kaztag["warnings"] >= 1
    assert "matched nothing" in kaztag["message"]
    assert "WARNING" in kaztag["message"]


def test_bad_pages_are_recorded_and_the_crawl_goes_on(crawled: dict) -> None:
    runs = runs_of(crawled["db"])
    vlast, tengri = runs["vlast"], runs["tengrinews"]
    assert vlast["status"] == "partial"
    assert vlast["errors"] == 3
    for expected in ("HTTP 404", "HTTP 500", "max redirections", "malformed feed"):
        assert expected in vlast["message"]
    assert vlast["new_docs"] == 4  # incl. the broken-HTML page and the 503-then-200 page
    assert tengri["errors"] == 3
    for expected in ("larger than download max size", "decompressed", "took longer than"):
        assert expected in tengri["message"]
    db = crawled["db"]
    titles = [r[0] for r in rows(db, "SELECT title FROM documents WHERE source = 'tengrinews'")]
    assert len(titles) == 3  # two duplicates (tracking parameters, AMP copy) stored once
    assert any("Конституционный совет" in t for t in titles)  # windows-1251, decoded right


def test_every_date_is_stored_with_an_offset(crawled: dict) -> None:
    from datetime import datetime

    dates = [r[0] for r in rows(crawled["db"], "SELECT published_at FROM documents")]
    assert len(dates) == EXPECTED_DOCS
    for value in dates:
        assert value is not None
        assert datetime.fromisoformat(value).utcoffset() is not None, value
    drafts = rows(crawled["db"], "SELECT published_at FROM documents WHERE source = 'legalacts'")
    assert {r[0] for r in drafts} >= {"2026-01-02T00:00:00+05:00", "2026-01-05T00:00:00+05:00"}


def test_the_odd_orda_feed_is_read(crawled: dict) -> None:
    orda = runs_of(crawled["db"])["orda"]
    assert (orda["method"], orda["new_docs"], orda["errors"]) == ("feed", 2, 0)
    assert "undefined entity" in orda["message"]
    docs = rows(crawled["db"], "SELECT published_at FROM documents WHERE source = 'orda'")
    assert sorted(r[0] for r in docs) == ["2026-01-20T13:00:00+05:00", "2026-01-21T10:00:00+05:00"]


def test_every_document_has_its_response_archived(crawled: dict) -> None:
    docs = rows(crawled["db"], "SELECT url, warc_file, warc_offset, payload_sha256 FROM documents")
    import os

    os.environ["KUZET_VAR"] = str(crawled["var"])
    try:
        for doc in docs:
            record = read_record(doc["warc_file"], doc["warc_offset"])
            assert record["payload_sha256"] == doc["payload_sha256"]
            warc_uri = dict(record["warc_headers"])["WARC-Target-URI"]
            assert warc_uri.split("?")[0].split("/")[2] == doc["url"].split("/")[2]
    finally:
        os.environ.pop("KUZET_VAR", None)
    assert "matches the database" in crawled["show"].output
    assert "WARC-Target-URI" in crawled["show"].output


def test_second_crawl_adds_nothing_and_uses_conditional_requests(crawled: dict) -> None:
    assert crawled["second"].exit_code == 0, crawled["second"].output
    db = crawled["db"]
    assert rows(db, "SELECT count(*) FROM documents")[0][0] == EXPECTED_DOCS
    first, second = runs_of(db), runs_of(db, first=False)
    assert sum(r["new_docs"] + r["changed_docs"] for r in second.values()) == 0
    clean = [s for s, r in first.items() if r["method"] in ("feed", "index") and not r["errors"]]
    assert len(clean) >= 10
    for source in clean:
        assert "not modified" in (second[source]["message"] or ""), source
    # a feed whose articles failed is read again (no 304), so they are retried
    assert "not modified" not in second["tengrinews"]["message"]
    assert second["tengrinews"]["errors"] == first["tengrinews"]["errors"] == 3
    assert rows(db, "SELECT count(*) FROM http_validators")[0][0] > 10


def test_database_stays_consistent(crawled: dict) -> None:
    db = crawled["db"]
    assert rows(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert rows(db, "PRAGMA foreign_key_check") == []
    fts = rows(db, "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'пропаганд*'")
    assert fts[0][0] > 0
    assert rows(db, "SELECT count(*) FROM runs WHERE status = 'running'")[0][0] == 0


def test_sources_lists_last_runs(crawled: dict) -> None:
    out = crawled["sources"].output
    assert "kaztag" in out
    assert "failed via -" in out
    assert "adilet" in out
    assert "via index" in out


def test_a_changed_page_becomes_a_new_version_with_both_responses_archived(
    tmp_path: Path, run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    sample = tmp_path / "sample"
    shutil.copytree(Path(__file__).resolve().parent.parent / "data" / "sample", sample)
    page = sample / "sites" / "ecom.ngo" / "en" / "news" / "volunteer-training" / "index.html"
    monkeypatch.setenv("KUZET_SAMPLE_DIR", str(sample))
    assert run("crawl", "--sample", "ecom").exit_code == 0
    page.write_text(page.read_text("utf-8").replace("in March", "in April"), "utf-8")
    second = run("crawl", "--sample", "ecom")
    assert second.exit_code == 0
    assert " 1 " in second.output.splitlines()[1]  # one changed document
    url = "http://ecom.ngo/en/news/volunteer-training/"
    doc = rows(db_path, "SELECT id, version, text FROM documents WHERE url = ?", url)[0]
    assert doc["version"] == 2
    assert "April" in doc["text"]
    assert "in March" in run("archive", "show", f"{doc['id']}@1").output
    assert "in April" in run("archive", "show", str(doc["id"])).output
