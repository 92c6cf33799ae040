"""Literal strings in case-folded text: `fold(text)` and `Locator`.

`fold` lower-cases a text the way `re.IGNORECASE` compares characters, one character for one,
so that a literal found in the folded copy stands at the same offset in the text. `Locator`
finds where any of a set of literals occur, overlapping and nested occurrences included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from re import _casefix  # the characters `re` treats as equal beyond simple lower case
from typing import Any

import numpy

from nlp.text import code_points


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
    """Where each of a set of literal strings occurs in a text, found in one pass.

    Strings of three characters or more are found from their first characters (`_Grams`);
    shorter ones by a trie-shaped regular expression.
    """

    def __init__(self, strings: Iterable[str]) -> None:
        self.strings = sorted({s for s in strings if s})
        self.grams = _Grams.build([s for s in self.strings if len(s) >= _Grams.SIZE])
        rest = [s for s in self.strings if self.grams is None or len(s) < _Grams.SIZE]
        self.regex = re.compile(_trie(rest)) if rest else None
        # the regex reports the longest string at a position: the shorter ones there too
        self.prefixes = {t: [s for s in rest if t.startswith(s)] for t in rest}

    def locate(self, text: str) -> dict[str, list[int]]:
        """`{string: [positions]}` for the strings that occur in `text` (overlaps included),
        each string's positions in increasing order."""
        found = self.grams.locate(text) if self.grams is not None else {}
        if self.regex is None:
            return found
        for match in _matches_everywhere(self.regex, text):
            for s in self.prefixes[match.group()]:
                found.setdefault(s, []).append(match.start())
        return found


class _Grams:
    """Finds strings of three characters or more by their first three and four characters,
    looked up for every position of a text at once in tables (numpy), and then checks
    each string at the few positions left.

    A regular expression of the strings (a trie) stops at every character that starts one
    of them: most letters of a Russian text, each stop costing more than the table look-ups
    for the whole text. The tables only narrow the positions down; every string reported
    is compared in full, so the result is exact whatever the tables let through.

    Characters are numbered by their code point's lower 16 bits (characters the strings do
    not use are 0), so two characters may share a number: that lets more positions through,
    never fewer.
    """

    SIZE = 3
    _QUAD_BITS = 20  # the four-character table is hashed into 2**20 entries
    _MAX_TRIGRAMS = 1 << 22  # beyond this many three-character codes: no tables
    _quad_mask = (1 << _QUAD_BITS) - 1

    def __init__(self, strings: list[str], numbers: dict[int, int]) -> None:
        self.n = n = len(numbers) + 1
        self.ids = numpy.zeros(1 << 16, numpy.int64)
        for point, number in numbers.items():
            self.ids[point] = number
        self.first = numpy.zeros(n**3, bool)  # three-character starts of any string
        self.exact = numpy.zeros(n**3, bool)  # the three-character strings themselves
        self.quad = numpy.zeros(1 << self._QUAD_BITS, bool)  # four-character starts, hashed
        self.by_three: dict[int, list[str]] = {}
        self.by_four: dict[int, list[str]] = {}
        for s in strings:
            three = self._code(s[:3])
            self.first[three] = True
            if len(s) == 3:
                self.exact[three] = True
                self.by_three.setdefault(three, []).append(s)
            else:
                four = self._code(s[:4])
                self.quad[four & self._quad_mask] = True
                self.by_four.setdefault(four, []).append(s)

    @classmethod
    def build(cls, strings: list[str]) -> _Grams | None:
        """Tables for `strings` (all at least SIZE long); None if the alphabet is too large."""
        if not strings:
            return None
        points = sorted({ord(c) & 0xFFFF for s in strings for c in s})
        if (len(points) + 1) ** 3 > cls._MAX_TRIGRAMS:
            return None
        return cls(strings, {p: i for i, p in enumerate(points, start=1)})

    def _code(self, chars: str) -> int:
        code = 0
        for char in chars:
            code = code * self.n + int(self.ids[ord(char) & 0xFFFF])
        return code

    def locate(self, text: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        if len(text) < 3:
            return found
        n = self.n
        # one number per character (a padding one at the end for the four-character codes);
        # surrogatepass: a lone surrogate is a character of the text like any other
        points = code_points(text + "\0")
        ids = self.ids[points & 0xFFFF]
        three = (ids[:-3] * n + ids[1:-2]) * n + ids[2:-1]  # the code starting at each position
        at = numpy.flatnonzero(self.first[three])
        if not len(at):
            return found
        three = three[at]
        four = three * n + ids[at + 3]
        keep = self.exact[three] | self.quad[four & self._quad_mask]
        by_three, by_four = self.by_three, self.by_four
        rows = zip(at[keep].tolist(), three[keep].tolist(), four[keep].tolist(), strict=True)
        for start, k3, k4 in rows:
            for s in (*by_four.get(k4, ()), *by_three.get(k3, ())):
                if text.startswith(s, start):
                    found.setdefault(s, []).append(start)
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
