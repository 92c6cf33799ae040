"""When a document whose title matches a bill must nevertheless be another bill.

Titles repeat: several bills amending one code are normal at the same time («О внесении
изменений и дополнений в Налоговый кодекс»), and a law is amended again under the same title a
year later. A title match (`kuzet.bill_tracker.Tracker.resolve`) is therefore refused when the
document carries an identifier that contradicts the bill's, or describes a process that cannot
be the bill's:

- **identifiers**: a bill has one adilet id and one law number; one legalacts draft id; one
  registration number per register (its letters: `С-412` is the Senate's); one page per site
  (`kurultai/3001` and `kurultai/3077` are two bills; the Russian and Kazakh pages of one bill
  share their number). A different value of the same kind means another bill.
- **a process starting again**: a draft, a public discussion or an introduction dated after
  the bill had passed a reading (by its own pages' dates, and unless it was returned since).
- **a finished bill**: after a bill was signed, published or withdrawn, a stage before the
  signing, or another signing more than a week later, belongs to a new bill.

And when a title matches several bills that all fit, the document is linked to none of them
(`ambiguous`): a wrong merge moves a bill's stage and sends false alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kuzet.bill_merge import days
from kuzet.bills import RANK, Claim, current, key_for

#: Kinds of which a bill has one value (per register or site: see `_slot`).
ONE_PER_BILL = ("adilet", "number", "legalacts", "registration", "page")
#: Stages that begin a bill's process, and the stage from which it has clearly begun.
STARTING = ("draft_published", "public_discussion", "introduced")
PASSED_FROM = "first_reading"
FINISHED = ("signed", "published", "in_force", "withdrawn", "rejected")
#: A second signing this many days or more after the first is another law.
RESIGNED_DAYS = 7
#: Dates too weak to tell two processes apart (a news item's publication, adilet's index).
WEAK_BASIS = ("reported", "index")


def _slot(kind: str, value: str) -> tuple[str, str]:
    """Where a bill has room for one value: the kind, and its site or register."""
    if kind == "page":
        return kind, value.partition("/")[0]
    if kind == "registration":
        return kind, value.partition("-")[0]
    return kind, ""


def _same(kind: str, one: str, other: str) -> bool:
    """One identifier written two ways? (pages: the same number, in any language's URL)"""
    return one == other or (kind == "page" and key_for(kind, one) == key_for(kind, other))


def id_conflict(theirs: Iterable[tuple[str, str]], ours: Iterable[tuple[str, str]]) -> str | None:
    """Why identifiers `ours` (a document's) cannot belong to a bill with `theirs`, or None."""
    held: dict[tuple[str, str], list[str]] = {}
    for kind, value in theirs:
        if kind in ONE_PER_BILL:
            held.setdefault(_slot(kind, value), []).append(value)
    for kind, value in ours:
        values = held.get(_slot(kind, value), []) if kind in ONE_PER_BILL else []
        if values and not any(_same(kind, value, v) for v in values):
            return f"it has {kind} {values[0]}, the document {kind} {value}"
    return None


def contradictions(aliases: Iterable[tuple[str, str]]) -> str | None:
    """Two values where a bill has room for one (two bills merged by an earlier version of
    these rules), described; None when the identifiers agree."""
    held: dict[tuple[str, str], list[str]] = {}
    for kind, value in sorted(aliases):
        if kind not in ONE_PER_BILL:
            continue
        values = held.setdefault(_slot(kind, value), [])
        if values and not any(_same(kind, value, v) for v in values):
            return f"{kind} {values[0]} and {value}"
        values.append(value)
    return None


def process_conflict(events: list[dict[str, Any]], claims: list[Claim]) -> str | None:
    """Why stage claims cannot be about a bill with these events (another process), or None."""
    last = current(events)
    if last and last["stage"] in FINISHED and last.get("event_date"):
        finished = last["event_date"]
        for claim in claims:
            if not claim.date or claim.date <= finished:
                continue
            if claim.rank < RANK["signed"]:
                return f"it was {last['stage']} on {finished}; the document: {claim.stage}"
            if claim.stage == "signed" and days(finished, claim.date) >= RESIGNED_DAYS:
                return f"it was signed before {finished}; the document: signed {claim.date}"
    passed = [
        e["event_date"]
        for e in events
        if e.get("event_date")
        and RANK[e["stage"]] >= RANK[PASSED_FROM]
        and e["stage"] != "returned"
        and (e.get("evidence") or {}).get("origin", "page") == "page"
        and (e.get("evidence") or {}).get("basis") not in WEAK_BASIS
    ]
    returned = [e["event_date"] for e in events if e["stage"] == "returned" and e.get("event_date")]
    for claim in claims:
        if claim.stage not in STARTING or not claim.date:
            continue
        before = [d for d in passed if d < claim.date]
        if before and not any(r >= max(before) for r in returned):
            return f"it passed a reading on {max(before)}; the document: {claim.stage} {claim.date}"
    return None
