"""Literal strings in case-folded text: `fold(text)` and `Locator`.

`fold` lower-cases a text the way `re.IGNORECASE` compares characters, one character for one,
so that a literal found in the folded copy stands at the same offset in the text. `Locator`
finds where any of a set of literals occur in one pass (a trie-shaped regular expression),
overlapping and nested occurrences included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from re import _casefix  # the characters `re` treats as equal beyond simple lower case
from typing import Any


def canonical(char: int) -> int:
    """The code point standing for every character `re` treats as equal to `char` when
    ignoring case (simple lower case, plus the extra equivalences `re` knows of)."""
    low = ord(chr(char).lower()) if len(chr(char).lower()) == 1 else char
    return min((low, *_casefix._EXTRA_CASES.get(low, ())))


_FOLD = {c: canonical(c) for c in _casefix._EXTRA_CASES if canonical(c) != c}
_FOLD_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FOLD)) + "]")


def fold(text: str) -> str | None:
    """`text` case-folded the way `re.IGNORECASE` compares characters, one character for one;
    None when that is not possible (the text holds `İ`, whose lower case is two characters)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    return lowered.translate(_FOLD) if _FOLD_CHARS.search(lowered) else lowered


class Locator:
    """Where each of a set of literal strings occurs in a text, found in one pass."""

    def __init__(self, strings: Iterable[str]) -> None:
        self.strings = sorted({s for s in strings if s})
        self.regex = re.compile(_trie(self.strings)) if self.strings else None
        # the regex reports the longest string at a position: the shorter ones there too
        self.prefixes = {t: [s for s in self.strings if t.startswith(s)] for t in self.strings}

    def locate(self, text: str) -> dict[str, list[int]]:
        """`{string: [positions]}` for the strings that occur in `text` (overlaps included)."""
        found: dict[str, list[int]] = {}
        if self.regex is None:
            return found
        for match in _matches_everywhere(self.regex, text):
            for s in self.prefixes[match.group()]:
                found.setdefault(s, []).append(match.start())
        return found


def _matches_everywhere(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    match = regex.search(text)
    while match:
        yield match
        match = regex.search(text, match.start() + 1)


def _trie(strings: list[str]) -> str:
    """A regex matching the longest of `strings` at a position, shaped as a trie, so that `re`
    skips to the possible first characters and then follows one branch."""
    root: dict[str, Any] = {}
    for s in strings:
        node = root
        for char in s:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_source(root)


def _trie_source(node: dict[str, Any]) -> str:
    branches = [re.escape(c) + _trie_source(child) for c, child in sorted(node.items()) if c]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if "" in node:
        return f"(?:{body})?"
    return body
