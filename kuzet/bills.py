"""Bills: the stage vocabulary, titles and identifiers, and a bill's timeline.

A bill is one legislative proposal followed across sources: a draft on legalacts.egov.kz, a bill
in the Parliament (the Mazhilis and Senate until 30 June 2026, the Kurultai from 1 July 2026),
the President's signing on akorda.kz, the act on adilet.zan.kz, and news about it. Its identity
rests on identifiers (adilet id, registration and law numbers, legalacts id, the Parliament page)
and on *title cores*: a title normalised and stripped of boilerplate («Проект закона», «О внесении
изменений и дополнений в некоторые законодательные акты Республики Казахстан по вопросам …»),
so that the Mazhilis table, the Senate, akorda and adilet, each titling the bill its own way,
meet on one core. The rules are data: `data/bills.toml`.

Stages come from the fixed vocabulary of the NLP stage (`nlp.components.legal.STAGES`; a test
keeps the two in step, so that this module does not load spaCy), in the process order of
`RANK`. A bill's timeline is its events sorted by date and, on one date, by
process order; its current stage is the last event of the timeline, not the last one seen.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from kuzet.errors import ConfigError

RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "bills.toml"

#: The last day of the two-chamber Parliament; the Kurultai sits from the day after.
KURULTAI_FROM = date(2026, 7, 1)

#: Process order. Equal ranks happen at the same point of the process; `returned` sends a bill
#: back, so stages of a lower rank may follow it.
RANK: dict[str, int] = {
    "draft_published": 1,
    "public_discussion": 2,
    "introduced": 3,
    "committee": 4,
    "first_reading": 5,
    "second_reading": 6,
    "third_reading": 7,
    "adopted": 8,
    "senate_approved": 9,
    "returned": 9,
    "sent_to_president": 10,
    "signed": 11,
    "published": 12,
    "in_force": 13,
    "withdrawn": 14,
    "rejected": 14,
}

#: What each stage means, for people (e-mail, `kuzet bills show`).
LABELS: dict[str, str] = {
    "draft_published": "draft published",
    "public_discussion": "open for public discussion",
    "introduced": "introduced in Parliament",
    "committee": "in committee / working group",
    "first_reading": "approved in first reading",
    "second_reading": "approved in second reading",
    "third_reading": "approved in third reading",
    "adopted": "adopted by {chamber}",
    "senate_approved": "approved by the Senate",
    "returned": "returned for reconsideration",
    "sent_to_president": "sent to the President for signature",
    "signed": "signed by the President",
    "published": "officially published",
    "in_force": "in force",
    "withdrawn": "withdrawn",
    "rejected": "rejected",
}


def stage_label(stage: str, when: str | None = None) -> str:
    """A stage in words; `adopted` names the chamber of its date (Mazhilis, then Kurultai)."""
    label = LABELS.get(stage, stage)
    if "{chamber}" in label:
        chamber = "Parliament"
        if when:
            chamber = (
                "the Kurultai"
                if date.fromisoformat(when[:10]) >= KURULTAI_FROM
                else ("the Mazhilis")
            )
        label = label.format(chamber=chamber)
    return label


def era_problem(stage: str, when: str | None) -> str | None:
    """Why a stage cannot have happened on `when` (the Senate after June 2026...), or None."""
    if not when:
        return None
    day = date.fromisoformat(when[:10])
    if stage == "senate_approved" and day >= KURULTAI_FROM:
        return "the Senate no longer exists after 30 June 2026"
    if stage == "third_reading" and day < KURULTAI_FROM:
        return "the two-chamber Parliament had no third reading"
    return None


# -- rules (data/bills.toml) --------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (caches key on it)
class Rules:
    """`data/bills.toml`, compiled."""

    raw: dict[str, Any]
    prefixes: tuple[re.Pattern[str], ...]
    suffixes: tuple[re.Pattern[str], ...]
    cores: tuple[re.Pattern[str], ...]
    core_prefixes: tuple[re.Pattern[str], ...]
    core_suffixes: tuple[re.Pattern[str], ...]

    def __getitem__(self, section: str) -> Any:
        return self.raw[section]


@cache
def rules(path: Path = RULES_PATH) -> Rules:
    """Load and compile `data/bills.toml`; ConfigError naming the file on a problem."""
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        titles = raw["titles"]
        compiled = {
            name: tuple(re.compile(p) for p in titles[name])
            for name in ("prefixes", "suffixes", "cores", "core_prefixes", "core_suffixes")
        }
        missing = [
            s for s in ("legislation", "chambers", "stage_words", "initiators", "news")
            if s not in raw
        ]  # fmt: skip
        if missing:
            raise KeyError(f"missing section [{missing[0]}]")
    except (OSError, tomllib.TOMLDecodeError, KeyError, re.error) as exc:
        raise ConfigError(f"{path}: {type(exc).__name__}: {exc}") from exc
    unknown = {s for s in [*raw["stage_words"].values(), *raw["news"]["stages"]] if s not in RANK}
    if unknown:
        raise ConfigError(f"{path}: unknown stage(s) {', '.join(sorted(unknown))}")
    return Rules(raw=raw, **compiled)


# -- titles -------------------------------------------------------------------------------

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


# -- identifiers --------------------------------------------------------------------------

ID_KINDS = ("adilet", "legalacts", "registration", "number", "page")
#: Kinds of which one bill has at most one value: a second one means another bill.
SINGLE_KINDS = ("adilet", "number")
_LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_ADILET = re.compile(r"^[ZKVPUS]\d{10}$")
_NUMBER = re.compile(r"^\d{1,5}-[IVX]{1,5}$")
_REGISTRATION = re.compile(r"^[А-ЯA-Z]{1,3}-\d{1,6}$")


def norm_id(kind: str, value: str) -> str | None:
    """An identifier in its one written form, or None if `value` is not one of `kind`."""
    value = " ".join(str(value).split()).strip()
    if kind == "adilet":
        value = value.upper()
        return value if _ADILET.match(value) else None
    if kind == "number":
        value = value.upper().replace("І", "I").replace("Х", "X").replace(" ", "")
        return value if _NUMBER.match(value) else None
    if kind == "registration":
        value = value.upper().replace(" ", "").replace("–", "-").translate(_LATIN_TO_CYRILLIC)
        return value if _REGISTRATION.match(value) else None
    if kind == "legalacts":
        return value if value.isdigit() else None
    if kind == "page":
        return value.lower() if re.fullmatch(r"[\w.-]+/[\w.%-]+", value) else None
    raise ValueError(f"unknown identifier kind {kind!r}")


def key_for(kind: str, value: str) -> str:
    """A bill's stable key from its first identifier: short ASCII, for commands and dedupe keys.

    `Z2500000250`, `legalacts-15210`, `kurultai-3101`, `senate-2101`, `akorda-3012259`.
    """
    if kind == "page":
        site, _, segment = value.partition("/")
        tail = re.search(r"-(\d{4,})$", segment)
        kind, value = site, tail.group(1) if tail else segment
    ascii_value = re.sub(r"[^A-Za-z0-9.]+", "-", value).strip("-")[:40] or "x"
    return ascii_value if kind == "adilet" else f"{kind}-{ascii_value}"


# -- claims and timelines -----------------------------------------------------------------


@dataclass
class Claim:
    """A source says a bill reached `stage` on `date` (YYYY-MM-DD, or None if it gives none)."""

    stage: str
    date: str | None
    source: str
    document_id: int | None
    url: str | None
    origin: str  # "page" (a legislation page: table, list, info, its text) or "news"
    basis: str  # what gave it: "table", "list", "info", "phrase", "reported" (news date)
    phrase: str = ""
    sentence: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return RANK[self.stage]

    def evidence(self) -> dict[str, Any]:
        """The JSON stored in bill_events.evidence."""
        ev = {"basis": self.basis, "origin": self.origin}
        if self.phrase:
            ev["phrase"] = self.phrase[:300]
        if self.sentence:
            ev["sentence"] = self.sentence[:600]
        return ev | self.extra


def ordered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A timeline: dated events by (date, process order); an undated one after the last
    event of the same or an earlier stage."""
    dated = sorted(
        (e for e in events if e.get("event_date")),
        key=lambda e: (e["event_date"], RANK[e["stage"]], e.get("id") or 0),
    )
    undated = sorted(
        (e for e in events if not e.get("event_date")),
        key=lambda e: (RANK[e["stage"]], e.get("id") or 0),
    )
    timeline = list(dated)
    for event in undated:
        at = 0
        for i, other in enumerate(timeline):
            if RANK[other["stage"]] <= RANK[event["stage"]]:
                at = i + 1
        timeline.insert(at, event)
    return timeline


def current(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The event that gives the bill's current stage: the last of its timeline."""
    timeline = ordered(events)
    return timeline[-1] if timeline else None


def moves_forward(event: dict[str, Any], before: dict[str, Any] | None) -> bool:
    """True if `event` is news about the bill: later than, or past, its stage `before`."""
    if before is None:
        return True
    if (
        event.get("event_date")
        and before.get("event_date")
        and (event["event_date"] != before["event_date"])
    ):
        return event["event_date"] > before["event_date"]
    return RANK[event["stage"]] > RANK[before["stage"]] or before["stage"] == "returned"
