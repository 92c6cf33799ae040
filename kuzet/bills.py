"""Bills: the stage vocabulary, the rules file, identifiers, and a bill's timeline.

A bill is one legislative proposal followed across sources: a draft on legalacts.egov.kz, a bill
in the Parliament (the Mazhilis and Senate until 30 June 2026, the Kurultai from 1 July 2026),
the President's signing on akorda.kz, the act on adilet.zan.kz, and news about it. Its identity
rests on identifiers (adilet id, registration and law numbers, legalacts id, the Parliament page;
here) and on title cores (`kuzet.bill_titles`). The rules are data: `data/bills.toml`.

Stages come from the fixed vocabulary of the NLP stage (`nlp.components.legal.STAGES`; a test
keeps the two in step, so that this module does not load spaCy), in the process order of
`RANK`. A bill's timeline is its events sorted by date and, on one date, by
process order; its current stage is the last event of the timeline, not the last one seen.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
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
    implies = raw.setdefault("implies", {})
    if not all(isinstance(also, list) for also in implies.values()):
        raise ConfigError(f"{path}: [implies]: each stage names a list of stages")
    named = [*raw["stage_words"].values(), *raw["news"]["stages"], *implies]
    named += [s for also in implies.values() for s in also]
    unknown = {s for s in named if s not in RANK}
    if unknown:
        raise ConfigError(f"{path}: unknown stage(s) {', '.join(sorted(unknown))}")
    return Rules(raw=raw, **compiled)


# -- identifiers --------------------------------------------------------------------------

ID_KINDS = ("adilet", "legalacts", "registration", "number", "page")
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


def title_of(bill: dict[str, Any]) -> str:
    """The title to show: Russian, else Kazakh, else the key."""
    return bill.get("title_ru") or bill.get("title_kk") or bill["key"]


def ordered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A timeline: dated events by (date, process order); an undated one after the last
    event of the same or an earlier stage."""
    dated = sorted(
        (e for e in events if e.get("event_date")),
        key=lambda e: (e["event_date"], _rank(e), e.get("id") or 0),
    )
    undated = sorted(
        (e for e in events if not e.get("event_date")), key=lambda e: (_rank(e), e.get("id") or 0)
    )
    timeline = list(dated)
    for event in undated:
        at = 0
        for i, other in enumerate(timeline):
            if _rank(other) <= _rank(event):
                at = i + 1
        timeline.insert(at, event)
    return timeline


def _rank(event: dict[str, Any]) -> int:
    """An event's process order (a stage this version does not know: first)."""
    return RANK.get(event["stage"], 0)


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
