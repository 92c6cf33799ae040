"""`kuzet archive show`: versions, URLs holding '@', unknown charsets, terminal-safe output."""

from __future__ import annotations

import pytest

from kuzet.archive import WarcArchive
from kuzet.documents import NewDocument
from kuzet.errors import NotFoundError
from kuzet.store import Store
from kuzet.store.crawl import split_version
from tests.test_cli import one_error_line

HOSTILE = "<p>Привет</p>\x1b[2J\x1b]0;owned\x07 и \x9b31m конец\r\nстрока\tдве\n".encode()
AT_URL = "https://medium.example/@kuzet/post-1"


@pytest.fixture
def archived(store: Store) -> Store:
    """Two documents whose responses are in a WARC file under KUZET_VAR/archive."""
    archive = WarcArchive("test")
    odd = archive.write_response(
        "https://x.kz/a", 200, [(b"Content-Type", b"text/html; charset=utf8mb4")], HOSTILE
    )
    at = archive.write_response(
        AT_URL, 200, [(b"Content-Type", b"text/html; charset=base64")], b"<p>at sign</p>"
    )
    archive.close()
    docs = [
        NewDocument("https://x.kz/a", "Привет", "x", warc_file=odd.warc_file,
                    warc_offset=odd.offset, payload_sha256=odd.payload_sha256),
        NewDocument(AT_URL, "at sign", "x", warc_file=at.warc_file, warc_offset=at.offset,
                    payload_sha256=at.payload_sha256),
    ]  # fmt: skip
    store.upsert_documents(docs)
    return store


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("42", ("42", None)),
        ("42@2", ("42", 2)),
        (AT_URL, (AT_URL, None)),
        (f"{AT_URL}@3", (AT_URL, 3)),
        ("https://x.kz/a@b", ("https://x.kz/a@b", None)),
        ("@2", ("@2", None)),
    ],
)
def test_split_version(ref: str, expected: tuple[str, int | None]) -> None:
    assert split_version(ref) == expected


def test_a_version_that_is_not_a_number_is_one_line(run, archived: Store) -> None:
    with pytest.raises(NotFoundError, match="bad version 'x'"):
        split_version("1@x")
    result = run("archive", "show", "1@x")
    assert result.exit_code == 1
    assert "bad version 'x' in '1@x'" in one_error_line(result)
    missing = run("archive", "show", "1@7")
    assert missing.exit_code == 1
    assert "has no version 7" in one_error_line(missing)


def test_unknown_charsets_and_escape_sequences(run, archived: Store) -> None:
    result = run("archive", "show", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Привет" in out
    assert "matches the database" in out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\x9b" not in out
    assert "\r" not in out
    assert "\\x1b[2J\\x1b]0;owned\\x07 и \\x9b31m конец\nстрока\tдве" in out
    raw = run("archive", "show", "1", "--raw")
    assert raw.stdout_bytes == HOSTILE  # --raw is the evidence, byte for byte


def test_urls_holding_an_at_sign(run, archived: Store) -> None:
    for ref in (AT_URL, f"{AT_URL}@1"):
        result = run("archive", "show", ref)
        assert result.exit_code == 0, (ref, result.output)
        assert "<p>at sign</p>" in result.stdout
        assert f"document 2: {AT_URL}" in result.stdout
