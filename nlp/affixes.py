"""The tokenizer's suffix and infix searches, skipped where they cannot match.

spaCy's tokenizer runs two large regular expressions on every new whitespace-separated chunk
(and again on what is left after each split): the suffixes (`…$|,$|\\.$| … |(?<=[0-9])km$|…`,
some 260 alternatives, tried by `re` at every position of the chunk) and the infixes (hyphens,
dots and commas between letters, …). Most chunks are plain words, which neither can match.

Every match of a suffix pattern ends with one of a known set of characters, and every infix
match starts with one; both sets are read from the compiled pattern itself (`re._parser`). A
chunk whose last character is not in the first set (and that does not end with a newline,
before which `$` also matches) has no suffix; a chunk with no character of the second set has
no infix. Otherwise the original expression runs, so every answer is the original's. Where a
pattern holds something this analysis does not follow (a negated or category class, an
optional piece at the edge, case-insensitive flags), it runs as it is, always.

`faster_affixes(tokenizer)` installs both on a tokenizer; `pattern` stays the original's, so
serialising the tokenizer writes spaCy's own expressions.

Most new chunks are, or come down to, a plain word: letters only. When no prefix, suffix or
infix pattern can match anywhere in a string of letters (`can_match_letters`, read from the
parsed patterns, as above), the tokenizer's answer for such a string is the string itself, one
token; `faster_affixes` then also sets `token_match` to `str.isalpha`, which spaCy checks first
and which ends the affix search for it at once. A tokenizer that already has a `token_match`
keeps it.

`drop_inert_specials(tokenizer)` removes the one-character special cases that change no token
but keep spaCy from caching the chunks after them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _parser  # the stdlib's regex parser: read-only use, to find edge characters
from typing import Any

from spacy.attrs import ORTH

#: A character class wider than this is not expanded into a set (the pattern then runs as is).
MAX_CLASS = 200_000
_ZERO_WIDTH = (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT)


def _class_chars(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The characters of a `[...]` class (LITERAL and RANGE items only), or None."""
    chars: set[str] = set()
    for op, arg in items:
        if op is _parser.LITERAL:
            chars.add(chr(arg))
        elif op is _parser.RANGE and arg[1] - arg[0] < MAX_CLASS:
            chars.update(map(chr, range(arg[0], arg[1] + 1)))
        else:
            return None
    return chars


def edge_chars(items: Any, last: bool) -> set[str] | None:
    """The characters a match of the sequence `items` can end with (`last`) or start with,
    or None if that cannot be told (or the sequence may match the empty string)."""
    ordered = list(items)
    for op, arg in reversed(ordered) if last else ordered:
        if op in _ZERO_WIDTH:
            continue
        if op is _parser.LITERAL:
            return {chr(arg)}
        if op is _parser.IN:
            return _class_chars(arg)
        if op is _parser.SUBPATTERN:
            _group, add_flags, del_flags, body = arg
            return None if add_flags or del_flags else edge_chars(body, last)
        if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
            low, _high, body = arg
            return edge_chars(body, last) if low >= 1 else None
        if op is _parser.BRANCH:
            return _union(edge_chars(branch, last) for branch in arg[1])
        return None
    return None


def _union(sets: Iterator[set[str] | None]) -> set[str] | None:
    found: set[str] = set()
    for chars in sets:
        if chars is None:
            return None
        found |= chars
    return found


def pattern_edge(regex: re.Pattern[str], last: bool) -> frozenset[str] | None:
    """`edge_chars` of a whole compiled pattern (None for flags other than UNICODE)."""
    if regex.flags & ~re.UNICODE:
        return None
    chars = edge_chars(_parser.parse(regex.pattern, regex.flags), last)
    return None if chars is None else frozenset(chars)


def _gate(branch: Any) -> frozenset[str] | None:
    """The characters a one-character lookbehind opening a branch asks for (`(?<=[0-9])km$`:
    the digits), or None. A match of the branch needs one of them in the string."""
    items = list(branch)
    if not items or items[0][0] is not _parser.ASSERT or items[0][1][0] != -1:
        return None
    body = list(items[0][1][1])
    if len(body) != 1 or body[0][0] not in (_parser.LITERAL, _parser.IN):
        return None
    chars = edge_chars(body, last=False)
    return None if chars is None else frozenset(chars)


def suffix_edges(
    regex: re.Pattern[str],
) -> tuple[frozenset[str], dict[str, list[frozenset[str]]]] | None:
    """Last characters of the suffix pattern's matches: those any match may end with, and
    those only a branch gated by a lookbehind may end with, with the gates (None: unknown)."""
    if regex.flags & ~re.UNICODE:
        return None
    tree = list(_parser.parse(regex.pattern, regex.flags))
    branches = tree[0][1][1] if len(tree) == 1 and tree[0][0] is _parser.BRANCH else [tree]
    always: set[str] = set()
    gated: dict[str, list[frozenset[str]]] = {}
    for branch in branches:
        chars = edge_chars(branch, last=True)
        if chars is None:
            return None
        gate = _gate(branch)
        if gate is None:
            always |= chars
        else:
            for char in chars:
                gated.setdefault(char, []).append(gate)
    return frozenset(always), {c: g for c, g in gated.items() if c not in always}


def suffix_reach(regex: re.Pattern[str]) -> tuple[int, frozenset[str]] | None:
    """How far from the end a suffix match can start: `(width, runs)` when every branch of
    the pattern ends with `$` and either matches at most `width` characters or is a run of
    one character repeated (`\\.\\.+$`, an ellipsis: those characters are `runs`); None
    otherwise."""
    if regex.flags & ~re.UNICODE:
        return None
    tree = _parser.parse(regex.pattern, regex.flags)
    items = list(tree)
    branches = items[0][1][1] if len(items) == 1 and items[0][0] is _parser.BRANCH else [tree]
    width, runs = 0, set()
    for branch in branches:
        body = list(branch)
        if not body or body[-1] != (_parser.AT, _parser.AT_END):
            return None
        high = branch.getwidth()[1]
        if high < _parser.MAXREPEAT:
            width = max(width, high)
            continue
        chars = {_run_char(op, arg) for op, arg in body[:-1]}
        if len(chars) != 1 or None in chars:
            return None
        runs |= chars  # type: ignore[arg-type]
    return width, frozenset(runs)


def _run_char(op: Any, arg: Any) -> str | None:
    """The character of a LITERAL item or of a repeat of one LITERAL, else None."""
    if op is _parser.LITERAL:
        return chr(arg)
    if op is _parser.MAX_REPEAT and len(arg[2]) == 1 and arg[2][0][0] is _parser.LITERAL:
        return chr(arg[2][0][1])
    return None


class SuffixSearch:
    """`search(string)`: the suffix pattern's search, skipped when the last character rules
    a match out (for a branch such as `(?<=[0-9])km$`, when no digit comes before it), and
    otherwise started where a match can first begin.

    `re` looks for the leftmost match by trying every branch at every position from the
    start of the string. Every suffix branch ends with `$` (the end, or just before a final
    newline), so a match begins at most `width` characters before that end, or, for a run
    branch, where the string's closing run of that character begins (`suffix_reach`). The
    search starts there (`re` still sees the characters before it, for lookbehinds), so it
    finds the same match.
    """

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        edges = suffix_edges(regex)
        self.known = edges is not None
        self.always, self.gated = edges or (frozenset(), {})
        self.reach = suffix_reach(regex)

    def search(self, string: str) -> re.Match[str] | None:
        if self.known and string and not string.endswith("\n"):
            last = string[-1]
            if last not in self.always:
                gates = self.gated.get(last)
                if not gates or all(gate.isdisjoint(string[:-1]) for gate in gates):
                    return None
        elif self.known and not string:
            return None
        return self.regex.search(string, self._first_start(string))

    def _first_start(self, string: str) -> int:
        """The first position where a match of the pattern could begin in `string`."""
        if self.reach is None:
            return 0
        width, runs = self.reach
        end = len(string) - 1 if string.endswith("\n") else len(string)
        start = end - width
        for char in runs:
            start = min(start, len(string[:end].rstrip(char)))
        return max(0, start)


class InfixFinditer:
    """`finditer(string)`: the infix pattern's matches, skipped when no character of the
    string can start one."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        self.first = pattern_edge(regex, last=False)

    def finditer(self, string: str) -> Iterator[re.Match[str]] | list[re.Match[str]]:
        if self.first is not None and self.first.isdisjoint(string):
            return []
        return self.regex.finditer(string)


def can_match_letters(items: Any) -> bool:
    """Whether the parsed regex sequence `items` might match some string of letters only
    (`str.isalpha`), the empty string included (an infix may be empty). Conservative: True
    for anything this does not follow."""
    return all(_item_can_match_letters(op, arg) for op, arg in items)


def _item_can_match_letters(op: Any, arg: Any) -> bool:
    if op is _parser.LITERAL:
        return chr(arg).isalpha()
    if op is _parser.IN:
        return _class_can_match_letters(arg)
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT):
        low, _high, body = arg
        return low == 0 or can_match_letters(body)
    if op is _parser.SUBPATTERN:
        _group, add_flags, _del_flags, body = arg
        return bool(add_flags) or can_match_letters(body)
    if op is _parser.BRANCH:
        return any(can_match_letters(branch) for branch in arg[1])
    if op is _parser.ASSERT:  # a lookaround must see letters (or nothing, at an edge)
        _direction, body = arg
        return can_match_letters(body)
    return True  # anchors, negative lookarounds, ANY, back references, ...


_NO_LETTERS = {_parser.CATEGORY_DIGIT, _parser.CATEGORY_SPACE, _parser.CATEGORY_NOT_WORD}


def _class_can_match_letters(items: list[tuple[Any, Any]]) -> bool:
    for op, arg in items:
        if op is _parser.LITERAL and not chr(arg).isalpha():
            continue
        if op is _parser.RANGE and arg[1] - arg[0] < MAX_CLASS:
            if any(chr(code).isalpha() for code in range(arg[0], arg[1] + 1)):
                return True
            continue
        if op is _parser.CATEGORY and arg in _NO_LETTERS:
            continue
        return True  # a letter, a negated class, another category: maybe
    return False


def _pattern_of(search: Any) -> re.Pattern[str] | None:
    """The compiled pattern behind a tokenizer's search callable (ours or `re`'s), if any."""
    owner = getattr(search, "__self__", None)
    if isinstance(owner, re.Pattern):
        return owner
    regex = getattr(owner, "regex", None)
    return regex if isinstance(regex, re.Pattern) else None


def letters_stay_whole(tokenizer: Any) -> bool:
    """True when none of the tokenizer's prefix, suffix and infix patterns can match in a
    string of letters only, so that such a string is always one token."""
    for search in (tokenizer.prefix_search, tokenizer.suffix_search, tokenizer.infix_finditer):
        if search is None:
            continue
        regex = _pattern_of(search)
        if regex is None or regex.flags & ~re.UNICODE:
            return False
        if can_match_letters(_parser.parse(regex.pattern, regex.flags)):
            return False
    return True


def faster_affixes(tokenizer: Any) -> None:
    """Give a spaCy tokenizer the skipping suffix search and infix finditer, and a
    `token_match` for words of letters only where that changes no answer (same tokens)."""
    suffix = tokenizer.suffix_search
    if suffix is not None and isinstance(getattr(suffix, "__self__", None), re.Pattern):
        tokenizer.suffix_search = SuffixSearch(suffix.__self__).search
    infix = tokenizer.infix_finditer
    if infix is not None and isinstance(getattr(infix, "__self__", None), re.Pattern):
        tokenizer.infix_finditer = InfixFinditer(infix.__self__).finditer
    if tokenizer.token_match is None and letters_stay_whole(tokenizer):
        tokenizer.token_match = str.isalpha


def drop_inert_specials(tokenizer: Any) -> None:
    """Remove the tokenizer's special cases that cannot change a token but stop its cache.

    spaCy keeps a chunk's tokens for next time only while no special case has been met in
    the Doc (its `has_special` flag is per Doc, not per chunk), and its base exceptions make
    special cases of single characters found all over news text: a line break, a tab, a
    space, the em dash, apostrophes. So most chunks of an article, those after its first
    paragraph or dash, were split afresh every time. A special case of one character with
    no attribute but its ORTH gives the tokens the tokenizer gives without it: a
    one-character string is one token either way, and such a special case only ends affix
    splitting at a remainder of that one character, which is a token either way. So those
    go; special cases with attributes (`\\xa0` with its NORM) or of several characters
    (`т.е.`, `г.`) stay.
    """
    rules = tokenizer.rules
    inert = [
        key
        for key, value in rules.items()
        if len(key) == 1 and value in ([{ORTH: key}], [{"ORTH": key}])
    ]
    if inert:
        tokenizer.rules = {key: value for key, value in rules.items() if key not in inert}
