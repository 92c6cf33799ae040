"""`AnchoredRegex`: the matches of `re.finditer`, found faster by looking for a literal first.

`re` tries a pattern such as `(?:Конституционн\\w+\\s+)?\\b(?:закон|кодекс)\\w{0,3}…«…»` at
every position of a text, which made the legal-reference patterns a fifth of the NLP stage.
From the parsed pattern this module picks an *anchor*: a top-level element that every match
contains and that begins with one of a few literal strings (`закон`, `кодекс`). It records how
many characters before the anchor a match may start (a bound, or else the characters that
stretch may consist of), and compiles the pattern from the anchor on (the *rest*). A search
then

1. finds the anchor strings in a case-folded copy of the text (`nlp.literals`);
2. keeps the occurrences where the rest matches (no whole-pattern match can use the others);
3. tries the whole pattern at each position a match could start from, in text order, as
   `re.finditer` would (leftmost first, continuing after each match).

The matches, their groups and their order are those of `re.finditer(text)`. A pattern without a
usable anchor (or with back-references, or one that can match the empty string) is searched
with `re.finditer`; so is a text whose case-folded copy would not line up with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from re import _compiler, _parser  # the stdlib's regex parser and compiler
from typing import Any

from nlp.literals import canonical, fold

#: A prefix wider than this is described by its characters rather than its width.
MAX_PREFIX = 40
#: Anchors shorter than this occur too often to pay for themselves: plain `finditer`.
MIN_ANCHOR = 3
_UNBOUNDED = 1 << 30
_REFERENCES = (_parser.GROUPREF, _parser.GROUPREF_EXISTS)
_CATEGORY_CLASSES = {
    _parser.CATEGORY_DIGIT: r"\d",
    _parser.CATEGORY_SPACE: r"\s",
    _parser.CATEGORY_WORD: r"\w",
}


def _fold_literal(chars: list[int], ignore_case: bool) -> str:
    return "".join(chr(canonical(c)) if ignore_case else chr(c) for c in chars)


def _prefixes(items: list[Any], limit: int = 16) -> tuple[set[tuple[int, ...]], bool] | None:
    """Literal code-point sequences one of which starts every match of `items`, and whether
    they are the whole of it; None if a match may start otherwise."""
    strings: set[tuple[int, ...]] = {()}
    for op, arg in items:
        if op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):
            continue  # zero-width: the strings still start what follows
        if op is _parser.LITERAL:
            strings = {(*s, arg) for s in strings}
        elif op is _parser.IN and all(o is _parser.LITERAL for o, _a in arg):
            strings = {(*s, a) for s in strings for _o, a in arg}
        elif op is _parser.SUBPATTERN and not arg[1] and not arg[2]:
            inner = _prefixes(list(arg[3]), limit)
            if inner is None:
                return _nonempty(strings)
            strings = {s + t for s in strings for t in inner[0]}
            if not inner[1]:
                return _nonempty(strings, limit)
        elif op is _parser.BRANCH:
            alternatives = [_prefixes(list(branch), limit) for branch in arg[1]]
            if any(a is None or () in a[0] for a in alternatives):
                return _nonempty(strings, limit)
            strings = {s + t for s in strings for a in alternatives if a for t in a[0]}
            return _nonempty(strings, limit)
        else:
            return _nonempty(strings, limit)
        if len(strings) > limit:
            return None
    return (strings, True) if len(strings) <= limit else None


def _nonempty(
    strings: set[tuple[int, ...]], limit: int = 16
) -> tuple[set[tuple[int, ...]], bool] | None:
    if () in strings or len(strings) > limit:
        return None
    return strings, False


@dataclass
class _Alphabet:
    """The characters a stretch of pattern can consume: the union of `members` (regex class
    members) and of each class in `negated` (all characters but the given literals)."""

    members: list[str] = field(default_factory=list)
    negated: list[set[str]] = field(default_factory=list)

    def add(self, other: _Alphabet) -> None:
        self.members += other.members
        self.negated += other.negated

    def barrier(self, flags: int) -> re.Pattern[str] | None:
        """A class of characters the stretch cannot hold, or None if none is known."""
        if not self.negated:
            return re.compile(f"[^{''.join(self.members)}]", flags) if self.members else None
        outside = set.intersection(*self.negated)
        if self.members:
            inside = re.compile(f"[{''.join(self.members)}]", flags)
            outside = {c for c in outside if not inside.match(c)}
        if not outside:
            return None
        return re.compile("[" + "".join(re.escape(c) for c in sorted(outside)) + "]", flags)


def _class_alphabet(members: list[Any]) -> _Alphabet | None:
    negate = bool(members) and members[0][0] is _parser.NEGATE
    out: list[str] = []
    for member_op, member in members[1:] if negate else members:
        if member_op is _parser.LITERAL:
            out.append(re.escape(chr(member)))
        elif member_op is _parser.RANGE and not negate:
            out.append(f"{re.escape(chr(member[0]))}-{re.escape(chr(member[1]))}")
        elif member_op is _parser.CATEGORY and member in _CATEGORY_CLASSES:
            out.append(_CATEGORY_CLASSES[member])
        elif not negate:
            return None  # \D, \S, \W: nearly any character
    if not negate:
        return _Alphabet(members=out)
    # [^...]: every character but its literals (its ranges and categories only widen what
    # is excluded, so leaving them out keeps the barrier correct, if looser)
    literals = {chr(m) for o, m in members[1:] if o is _parser.LITERAL}
    return _Alphabet(negated=[literals])


def _alphabet(items: list[Any]) -> _Alphabet | None:
    """The characters `items` can consume; None if that may be any character."""
    result = _Alphabet()
    for op, arg in items:
        if op is _parser.LITERAL:
            found: _Alphabet | None = _Alphabet(members=[re.escape(chr(arg))])
        elif op is _parser.NOT_LITERAL:
            found = _Alphabet(negated=[{chr(arg)}])
        elif op is _parser.IN:
            found = _class_alphabet(list(arg))
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT):
            found = _alphabet(list(arg[2]))
        elif op is _parser.SUBPATTERN:
            found = _alphabet(list(arg[3]))
        elif op is _parser.ATOMIC_GROUP:
            found = _alphabet(list(arg))
        elif op is _parser.BRANCH:
            found = _Alphabet()
            for branch in arg[1]:
                inner = _alphabet(list(branch))
                if inner is None:
                    return None
                found.add(inner)
        elif op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):
            continue  # consumes nothing
        else:
            return None  # ANY, group references...
        if found is None:
            return None
        result.add(found)
    return result


def _uses_references(node: Any) -> bool:
    """Whether a parsed pattern (or any part of one) refers back to a group."""
    if isinstance(node, _parser.SubPattern):
        node = node.data
    if isinstance(node, tuple) and len(node) == 2 and node[0] in _REFERENCES:
        return True
    if isinstance(node, list | tuple):
        return any(_uses_references(part) for part in node)
    return False


def _flatten(items: list[Any]) -> list[Any]:
    """Top-level groups opened up (for choosing an anchor only: matching uses the pattern)."""
    out: list[Any] = []
    for op, arg in items:
        if op is _parser.SUBPATTERN and not arg[1] and not arg[2]:
            out += _flatten(list(arg[3]))
        else:
            out.append((op, arg))
    return out


def _unroll_head(items: list[Any], state: Any) -> list[Any]:
    """`x{m,n}` at the head as `x` then `x{m-1,n-1}` (same matches), so that `re` sees the
    single element `x` first and can skip ahead to where it occurs."""
    if not items:
        return items
    op, arg = items[0]
    if op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and arg[0] >= 1 and len(arg[2]) == 1:
        low, high, body = arg
        high = high if high is _parser.MAXREPEAT else high - 1
        repeat = (op, (low - 1, high, body))
        return [body[0], *([repeat] if high is _parser.MAXREPEAT or high > 0 else []), *items[1:]]
    return items


def _rare_head(items: list[Any]) -> bool:
    """Whether `items` start with a digit or a punctuation mark (a quote, `№`…): characters
    `re` can skip ahead to and that are rare in running text, unlike letters and spaces."""
    if not items:
        return False
    op, arg = items[0]
    if op is _parser.LITERAL:
        return _rare(chr(arg))
    if op is not _parser.IN:
        return False
    for member_op, member in arg:
        if member_op is _parser.LITERAL and _rare(chr(member)):
            continue
        if member_op is _parser.CATEGORY and member is _parser.CATEGORY_DIGIT:
            continue
        if member_op is _parser.RANGE and all(chr(c).isdigit() for c in member):
            continue
        return False
    return True


def _rare(char: str) -> bool:
    return not (char.isalpha() or char.isspace())


def _scannable(items: list[Any], state: Any, flags: int) -> bool:
    """Whether `re` skips quickly to the rare characters `items` start with."""
    if not _rare_head(items):
        return False
    sub = _parser.SubPattern(state, items)
    if _compiler._get_literal_prefix(sub, flags)[0]:
        return True
    return bool(_compiler._get_charset_prefix(sub, flags))


class AnchoredRegex:
    """A compiled pattern whose `finditer(text, folded)` equals `re.finditer(text)`.

    `anchors` are the literal strings (case-folded) one of which starts the rest of every
    match; when empty and `scan` is set, the rest itself is searched for (it starts with a
    digit, a quote or another character `re` skips ahead to); with neither, `finditer` is
    `re.finditer`.
    """

    def __init__(self, source: str, flags: int = 0) -> None:
        self.regex = re.compile(source, flags)
        self.anchors: tuple[str, ...] = ()
        self.scan = False
        self.rest: re.Pattern[str] | None = None
        self.ignore_case = bool(self.regex.flags & re.IGNORECASE)
        self.lo = self.hi = 0
        self.barrier: re.Pattern[str] | None = None
        try:
            self._analyse(source, flags)
        except (re.error, AttributeError, TypeError, ValueError, IndexError):
            self.anchors, self.scan, self.rest = (), False, None  # plain finditer

    @property
    def pattern(self) -> str:
        return self.regex.pattern

    @property
    def anchored(self) -> bool:
        """Whether searches skip the regex's scan of the whole text."""
        return self.rest is not None

    def _analyse(self, source: str, flags: int) -> None:
        """Pick the first element from which a match can be found without trying every
        position: it starts with a literal of MIN_ANCHOR characters or more, or `re` can skip
        to it; and the stretch before it is bounded or has a character it cannot hold."""
        parsed = _parser.parse(source, flags)
        if parsed.getwidth()[0] == 0 or _uses_references(parsed):
            return
        state, flags = parsed.state, parsed.state.flags
        items = _flatten(list(parsed.data))
        for k in range(len(items)):
            found = _prefixes(items[k:])
            literal = found is not None and min(map(len, found[0])) >= MIN_ANCHOR
            rest = _unroll_head(items[k:], state)
            if not literal and not (rest and _scannable(rest, state, flags)):
                continue
            lo, hi = _parser.SubPattern(state, items[:k]).getwidth()
            barrier = None
            if hi > MAX_PREFIX:
                alphabet = _alphabet(items[:k])
                barrier = alphabet.barrier(flags) if alphabet else None
                if barrier is None:
                    continue
            self.rest = _compiler.compile(_parser.SubPattern(state, rest), flags)
            self.lo, self.hi, self.barrier = lo, hi, barrier
            if literal and found:
                self.anchors = tuple(
                    sorted({_fold_literal(list(s), self.ignore_case) for s in found[0]})
                )
            else:
                self.scan = True
            return

    def finditer(
        self,
        text: str,
        folded: str | None = None,
        located: dict[str, list[int]] | None = None,
    ) -> Iterator[re.Match[str]]:
        """The matches of the pattern in `text`, as `re.finditer` gives them.

        `folded` is `nlp.literals.fold(text)` and `located` where the anchors occur in it
        (`nlp.literals.Locator`);
        either is worked out here when not given.
        """
        rest = self.rest
        if rest is None:
            yield from self.regex.finditer(text)
            return
        if self.scan:
            occurrences = list(_search_all(rest, text))
        else:
            haystack = text
            if self.ignore_case:
                haystack = fold(text) if folded is None else folded
                if haystack is None:
                    yield from self.regex.finditer(text)
                    return
            if located is None or haystack is not folded:
                located = {s: list(_find_all(haystack, s)) for s in self.anchors}
            found = sorted({at for s in self.anchors for at in located.get(s, ())})
            occurrences = [at for at in found if rest.match(text, at)]
        end = 0
        for start in sorted(self._starts(text, occurrences)):
            if start < end:
                continue
            match = self.regex.match(text, start)
            if match:
                yield match
                end = match.end()

    def _starts(self, text: str, occurrences: list[int]) -> set[int]:
        """Every position a match could start from, given where its rest matches."""
        starts: set[int] = set()
        for at in occurrences:
            if at < self.lo:
                continue
            first = at - self.hi
            if self.barrier is not None:
                first = max(first, _after_last(self.barrier, text, at))
            starts.update(range(max(0, first), at - self.lo + 1))
        return starts


def _after_last(barrier: re.Pattern[str], text: str, end: int) -> int:
    """The position after the last character before `end` that `barrier` matches (or 0),
    looking back in growing windows."""
    stop, width = end, 64
    while stop > 0:
        start = max(0, stop - width)
        last = -1
        for match in barrier.finditer(text, start, stop):
            last = match.start()
        if last >= 0:
            return last + 1
        stop, width = start, width * 4
    return 0


def _search_all(regex: re.Pattern[str], text: str) -> Iterator[int]:
    """Every position where `regex` matches (overlapping ones too)."""
    match = regex.search(text)
    while match:
        yield match.start()
        match = regex.search(text, match.start() + 1)


def _find_all(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + 1)
