"""The evidence archive: every fetched document response in WARC files under `var/archive/`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from kuzet.config import var_dir
from kuzet.errors import ArchiveError

#: Headers that describe the transfer, not the payload we archive (already decoded).
_TRANSFER_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}


def archive_dir() -> Path:
    """Where WARC files are written: `$KUZET_VAR/archive`."""
    return var_dir() / "archive"


@dataclass(frozen=True)
class ArchivedAt:
    """Where one response was archived: file (relative to KUZET_VAR), offset, payload hash."""

    warc_file: str
    offset: int
    payload_sha256: str


class WarcArchive:
    """Appends response records to one gzipped WARC file per crawl process and source."""

    def __init__(self, label: str, directory: Path | None = None) -> None:
        self.directory = directory or archive_dir()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.name = f"kuzet-{label}-{stamp}-{os.getpid()}.warc.gz"
        self._fh: IO[bytes] | None = None
        self._writer: WARCWriter | None = None

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._fh = (self.directory / self.name).open("ab")
            self._writer = WARCWriter(self._fh, gzip=True)
        return self._writer

    def write_response(
        self, url: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> ArchivedAt:
        """Write one HTTP response record; returns where it is."""
        writer = self._open()
        assert self._fh is not None
        kept = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in headers
            if k.lower() not in _TRANSFER_HEADERS
        ]
        kept.append(("Content-Length", str(len(body))))
        http = StatusAndHeaders(f"{status} {_reason(status)}", kept, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url, "response", payload=BytesIO(body), http_headers=http
        )
        offset = self._fh.tell()
        writer.write_record(record)
        self._fh.flush()
        return ArchivedAt(self._relative(), offset, hashlib.sha256(body).hexdigest())

    def _relative(self) -> str:
        path = self.directory / self.name
        try:
            return str(path.relative_to(var_dir()))
        except ValueError:
            return str(path.resolve())

    def close(self) -> None:
        """Close the file, if one was opened."""
        if self._fh is not None:
            self._fh.close()
            self._fh = self._writer = None


def read_record(warc_file: str, offset: int) -> dict[str, Any]:
    """The archived response at `offset` in `warc_file`: WARC headers, status, headers, body."""
    path = Path(warc_file)
    path = path if path.is_absolute() else var_dir() / path
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            body = record.content_stream().read()
            return {
                "file": str(path),
                "offset": offset,
                "warc_headers": record.rec_headers.headers,
                "status": record.http_headers.get_statuscode(),
                "http_headers": record.http_headers.headers,
                "body": body,
                "payload_sha256": hashlib.sha256(body).hexdigest(),
            }
    except OSError as exc:
        raise ArchiveError(f"cannot read archive {path}: {exc.strerror or exc}") from exc
    except StopIteration as exc:
        raise ArchiveError(f"no WARC record at offset {offset} of {path}") from exc


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
