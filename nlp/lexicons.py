"""Lexicon files: UTF-8, one entry a line, `#` starts a comment, blank lines ignored."""

from __future__ import annotations

from pathlib import Path

LEXICONS = Path(__file__).resolve().parent.parent / "data" / "lexicons"


def load_lexicon(path: Path) -> frozenset[str]:
    """The entries of a lexicon file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(entry for line in lines if (entry := line.split("#", 1)[0].strip()))
