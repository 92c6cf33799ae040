"""Snippets for hits that matched only on a word form (the `lemmas` column).

FTS5 highlights words in the column it makes the snippet from (`text`); when a query word
matched only its normal form in `lemmas` (`гей` finding `геев`), that snippet has no marked
word. Here the window is rebuilt around the first word of the text whose normal form is one
the query asked for, and that word is marked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kuzet.store import HL_END, HL_START

_WORD = re.compile(r"[^\W_]+")
_LANGS = ("ru", "kk", "en")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
#: Words of context kept before and after the marked words (FTS5's snippet uses 24 in all).
BEFORE, AFTER = 8, 14
#: How much of a long text is scanned for a matching word (the FTS snippet is kept beyond).
MAX_SCAN = 50_000
_SYNTAX = {"(", ")", "AND", "OR", "NEAR", ","}


def query_phrases(tokens: Iterable[str]) -> list[str]:
    """The plain words and phrases of a query whose word forms may have matched.

    `tokens` is the query split as `kuzet.search` splits it. Operators, NEAR groups, what
    follows NOT, column filters and `prefix*` words are left out (FTS5 marks those itself,
    or they do not match by word form).
    """
    phrases: list[str] = []
    depth = 0  # inside NEAR(...) or NOT (...)
    skip_next = False
    previous = ""
    for token in tokens:
        if depth:
            depth += {"(": 1, ")": -1}.get(token, 0)
        elif token == "(" and (previous == "NEAR" or skip_next):
            depth, skip_next = 1, False
        elif skip_next:
            skip_next = False
        elif token == "NOT":
            skip_next = True
        elif token.startswith('"'):
            phrases.append(token[1:-1].replace('""', '"'))
        elif token not in _SYNTAX and ":" not in token and not token.endswith("*"):
            phrases.append(token.lstrip("^"))
        previous = token
    return phrases


def with_word_form_snippets(
    rows: Iterable[dict[str, Any]],
    forms: Callable[[], set[str]],
    text_of: Callable[[int], str],
    normalize: Callable[[str, str], str],
) -> Iterator[dict[str, Any]]:
    """Pass rows through, rebuilding the snippet of those whose snippet has no marked word.

    `forms()` gives the query's normal forms (words joined by spaces; called once, when
    first needed), `text_of(id)` a document's text, `normalize(word, lang)` a word's form.
    """
    wanted: list[tuple[str, ...]] | None = None
    for row in rows:
        if HL_START not in (row.get("snippet") or ""):
            if wanted is None:
                wanted = sorted({tuple(f.split()) for f in forms() if f.strip()}, key=len)
            text = row.get("text") or text_of(row["id"])
            snippet = word_form_snippet(text, wanted, row.get("lang") or "ru", normalize)
            if snippet:
                row["snippet"] = snippet
        yield row


def word_form_snippet(
    text: str,
    wanted: list[tuple[str, ...]],
    lang: str,
    normalize: Callable[[str, str], str],
) -> str | None:
    """A window of `text` around the first words whose normal forms are one of `wanted`."""
    if not wanted:
        return None
    words = list(_WORD.finditer(text[:MAX_SCAN]))
    known: dict[str, set[str]] = {}  # texts repeat their words: normalise each once
    # Inflection here is at the end of words: a word whose first letters no wanted form has
    # cannot normalise to one, and is not sent through the (slow) normaliser at all.
    starts = {_start(part) for phrase in wanted for part in phrase}

    def forms_at(i: int) -> set[str]:
        word = words[i].group()
        if word not in known:
            if _start(word) not in starts:
                known[word] = set()
            else:
                langs = ("ru", "kk") if _CYRILLIC.search(word) else ("en", lang)
                known[word] = {normalize(word, x) for x in langs if x in _LANGS}
        return known[word]

    for i in range(len(words)):
        for phrase in wanted:
            end = i + len(phrase)
            if end <= len(words) and all(part in forms_at(i + k) for k, part in enumerate(phrase)):
                return _window(text, words, i, end)
    return None


def _start(word: str) -> str:
    return word[:2].lower().replace("ё", "е")


def _window(text: str, words: list[re.Match[str]], first: int, end: int) -> str:
    start_word, stop_word = max(0, first - BEFORE), min(len(words), end + AFTER)
    start = words[start_word].start()
    stop = words[stop_word - 1].end()
    a, b = words[first].start(), words[end - 1].end()
    out = text[start:a] + HL_START + text[a:b] + HL_END + text[b:stop]
    return ("…" if start_word else "") + out + ("…" if stop_word < len(words) else "")
