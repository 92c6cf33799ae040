"""Guessing the encoding of a page that does not declare one."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def guess_encoding(body: bytes) -> str:
    """The encoding of an undeclared body: UTF-8 if it decodes, else windows-1251 when that
    gives mostly Cyrillic letters (old Kazakh and Russian sites), else charset-normalizer's guess.
    """
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = body[:20000].decode("cp1251", "replace")
    letters = [ch for ch in sample if ch.isalpha()]
    cyrillic = sum(1 for ch in letters if _CYRILLIC.match(ch))
    if letters and cyrillic / len(letters) > 0.3:
        return "cp1251"
    best = from_bytes(body[:20000]).best()
    return best.encoding if best else "cp1251"
