"""Bill titles: normalised, reduced to the core that names the bill, matched, and shown.

Each source titles a bill its own way: the Mazhilis table, the Senate, akorda's signing notice
and adilet's act. A *title core* is the title normalised (case, ё, quotes, punctuation) and
stripped of boilerplate («Проект закона», «О внесении изменений и дополнений в некоторые
законодательные акты Республики Казахстан по вопросам …», the Kazakh «… туралы»), so that they
meet on one core; an amendment to one law gives "amend:<that law's core>". `CoreIndex` finds
cores again without comparing each pair; `display_title` and `short_title` make a title fit to
show. The patterns are data: `[titles]` of `data/bills.toml` (`kuzet.bills.rules`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kuzet.bills import Rules, rules

_NOT_WORD = re.compile(r"[^\w]+|_+")


def normalise(text: str) -> str:
    """Lower case, ё as е, quotes and punctuation as spaces, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    return " ".join(_NOT_WORD.sub(" ", text).split())


_NON_ALNUM = re.compile(r"[\W_]")


def fold(text: str) -> str:
    """Lower case, ё as е, every non-alphanumeric character a space: same length as `text`, so
    a match in the folded text is at the same place in the original."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is two characters (İ)
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _NON_ALNUM.sub(" ", lowered.replace("ё", "е"))


def _strip(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    changed = True
    while changed:
        changed = False
        for pattern in patterns:
            new = pattern.sub("", text, count=1).strip()
            if new != text and new:
                text, changed = new, True
    return text


def title_core(title: str, rules_: Rules | None = None) -> str:
    """The part of a title that names the bill (cached for the project's rules); see `_core`."""
    return _cached_core(title) if rules_ is None or rules_ is rules() else _core(title, rules_)


@lru_cache(maxsize=65536)
def _cached_core(title: str) -> str:
    return _core(title, rules())


def _core(title: str, rules_: Rules | None = None) -> str:
    """The part of a title that names the bill: boilerplate removed, normalised.

    «Проект закона по вопросам архивного дела…», «О подписании Закона Республики Казахстан
    «О внесении изменений и дополнений в некоторые законодательные акты Республики Казахстан по
    вопросам архивного дела…»» and the act's title on adilet all give «архивного дела…». An
    amendment to one law gives "amend:<that law's core>".
    """
    r = rules_ or rules()
    text = _strip(_strip(normalise(title), r.prefixes), r.suffixes)
    for pattern in r.cores:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        if groups.get("amend"):
            inner = _core(groups["amend"], r)
            return inner if inner.startswith("amend:") else f"amend:{inner}"
        text = _strip(_strip(groups["core"], r.prefixes), r.suffixes)
        break
    return _strip(_strip(text, r.core_prefixes), r.core_suffixes)


def plain_core(core: str) -> str:
    """A core without its "amend:" mark."""
    return core.removeprefix("amend:")


def cores_match(one: str, other: str, rules_: Rules | None = None) -> bool:
    """Same bill by title: equal cores, a renamed title that extends the other, or an
    amendment bill and the bare name of the law it amends."""
    if not one or not other:
        return False
    if one == other or plain_core(one) == plain_core(other):
        return True
    r = rules_ or rules()
    short, long_ = sorted((plain_core(one), plain_core(other)), key=len)
    if not distinctive(short, r):
        return False
    return any(long_.startswith(short + ext) for ext in r["titles"]["extensions"])


def distinctive(core: str, rules_: Rules | None = None) -> bool:
    """Long enough to be found word for word in a text and mean this bill."""
    r = rules_ or rules()
    words = [w for w in plain_core(core).split() if len(w) >= 3]
    t = r["titles"]
    return len(words) >= t["min_words"] and len(plain_core(core)) >= t["min_chars"]


class CoreIndex:
    """Title cores of many bills, found again by `cores_match` without comparing each pair."""

    def __init__(self, rules_: Rules | None = None) -> None:
        self.rules = rules_ or rules()
        self.exact: dict[str, set[tuple[int, str]]] = {}
        self.extended: dict[str, set[tuple[int, str]]] = {}

    def add(self, core: str, bill_id: int) -> None:
        """Remember that `bill_id` has title core `core`."""
        plain = plain_core(core)
        self.exact.setdefault(plain, set()).add((bill_id, core))
        for short in self._shorter(plain):
            self.extended.setdefault(short, set()).add((bill_id, core))

    def find(self, core: str) -> set[tuple[int, str]]:
        """(bill id, its core) for every core that matches `core`."""
        plain = plain_core(core)
        found = set(self.exact.get(plain, ()))
        if distinctive(plain, self.rules):
            found |= self.extended.get(plain, set())
        for short in self._shorter(plain):
            found |= self.exact.get(short, set())
        return found

    def _shorter(self, plain: str) -> list[str]:
        """The distinctive beginnings of `plain` that it extends ("X и Y" -> "X")."""
        found = []
        for ext in self.rules["titles"]["extensions"]:
            at = plain.find(ext)
            while at != -1:
                if distinctive(plain[:at], self.rules):
                    found.append(plain[:at])
                at = plain.find(ext, at + 1)
        return found


_OUTER_QUOTES = re.compile(r"^[«\"“„'](.*)[»\"”“']$", re.DOTALL)
_PAIRS = (("«", "»"), ("„", "“"), ("“", "”"))


def display_title(title: str, rules_: Rules | None = None) -> str:
    """A title fit to show: one line, signing-notice and draft prefixes and outer quotes gone."""
    return _display(str(title), rules_ or rules())


@lru_cache(maxsize=16384)
def _display(title: str, r: Rules) -> str:
    text = " ".join(title.split())
    for prefix in r["titles"]["display_prefixes"]:
        m = re.match(prefix.replace(" ", r"[\s«»\"“”„]+"), text, re.IGNORECASE)
        if m and m.end() < len(text):
            text = text[m.end() :].strip()
    for opening, closing in _PAIRS:
        while text.startswith(opening) and text.count(opening) > text.count(closing):
            text = text[1:].lstrip()
        while text.endswith(closing) and text.count(closing) > text.count(opening):
            text = text[:-1].rstrip()
    m = _OUTER_QUOTES.match(text)
    if m and not any(q in m.group(1) for q in '«»"'):
        text = m.group(1).strip()
    return text[:1].upper() + text[1:] if text else text


def short_title(title: str, limit: int = 110, rules_: Rules | None = None) -> str:
    """A title short enough for a subject line: the words that name the bill when the whole
    title is too long («По вопросам защиты семьи и детей…» rather than «О внесении изменений и
    дополнений в некоторые законодательные акты…»)."""
    text = display_title(title, rules_)
    if len(text) <= limit:
        return text
    core = plain_core(title_core(title, rules_))
    if core:
        words = r"\s+".join(map(re.escape, core.split()))
        m = re.search(rf"(?:по\s+вопросам\s+)?(?<!\w){words}(?!\w)", fold(text))
        if m:
            text = text[m.start() : m.end()]
            text = text[:1].upper() + text[1:]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
