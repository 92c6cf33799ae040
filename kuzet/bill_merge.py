"""How a stage claim joins a bill's timeline: which event it reports, and what it adds to it.

One event per (bill, stage, date): a second report of it (another source, a news item) is added
to its evidence (`corroboration`); two reports of a stage up to `SAME_EVENT_DAYS` apart are one
event (`same_event`), and the better-dated one sets its date. Some stages are also others
(`implied`, `[implies]` in `data/bills.toml`): the Kurultai's third reading is its final vote,
so it adopts the law, whichever source reports it (table, page, news).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from kuzet.bills import Claim, Rules

#: Two reports of one stage this many days apart are one event.
SAME_EVENT_DAYS = 7
#: How much a date is worth, by what gave it: a better one replaces a worse one.
BASIS_STRENGTH = {
    "reported": 0,
    "index": 1,
    "phrase": 2,
    "text": 2,
    "list": 3,
    "table": 3,
    "info": 4,
}
MAX_ALSO = 20


def implied(claim: Claim, rules_: Rules) -> list[Claim]:
    """The claims a claim makes as well (`[implies]`): same date, source and evidence."""
    return [
        replace(claim, stage=stage, extra={**claim.extra, "implied_by": claim.stage})
        for stage in rules_["implies"].get(claim.stage, [])
    ]


def same_event(same: list[dict[str, Any]], claim: Claim) -> dict[str, Any] | None:
    """The event of `same` (events of the claim's stage) that the claim reports, if any."""
    if not same:
        return None
    if not claim.date or claim.basis == "reported":
        dated = [e for e in same if e.get("event_date") and claim.date]
        if dated:
            return min(dated, key=lambda e: days(e["event_date"], claim.date))
        return same[0]
    exact = [e for e in same if e.get("event_date") == claim.date]
    if exact:
        return exact[0]
    near = [
        e for e in same
        if not e.get("event_date") or days(e["event_date"], claim.date) <= SAME_EVENT_DAYS
    ]  # fmt: skip
    return min(near, key=lambda e: days(e.get("event_date"), claim.date)) if near else None


def corroboration(
    event: dict[str, Any], claim: Claim, siblings: list[dict[str, Any]]
) -> dict[str, Any]:
    """What a second report of an event changes in it (empty: nothing): a better date replaces
    a worse one (unless another event of the stage has that date); the evidence grows."""
    ev = dict(event["evidence"])
    fields: dict[str, Any] = {}
    stronger = BASIS_STRENGTH.get(claim.basis, 0) > BASIS_STRENGTH.get(ev.get("basis", ""), 0)
    clash = any(
        e is not event and e["stage"] == event["stage"] and e.get("event_date") == claim.date
        for e in siblings
    )
    better = claim.date and claim.date != event.get("event_date")
    if better and not clash and (stronger or not event.get("event_date")):
        old = {k: event[k] for k in ("event_date", "source", "url", "document_id")}
        also = list(ev.get("also", []))
        if old["document_id"] != claim.document_id:
            also.append({**old, "basis": ev.get("basis")})
        ev = claim.evidence() | {"also": also[-MAX_ALSO:]}
        fields = {"event_date": claim.date, "source": claim.source, "url": claim.url,
                  "document_id": claim.document_id}  # fmt: skip
    elif claim.document_id != event.get("document_id") and all(
        a.get("document_id") != claim.document_id for a in ev.get("also", [])
    ):
        report = {"event_date": claim.date, "source": claim.source, "url": claim.url,
                  "document_id": claim.document_id, "basis": claim.basis}  # fmt: skip
        ev["also"] = [*ev.get("also", []), report][-MAX_ALSO:]
    if claim.sentence and not ev.get("sentence"):
        ev["sentence"] = claim.sentence[:600]
    if ev != event["evidence"] or fields:
        fields["evidence"] = ev
    return fields


def is_date(value: str) -> bool:
    """True for a YYYY-MM-DD date."""
    try:
        return len(value) == 10 and bool(date.fromisoformat(value))
    except ValueError:
        return False


def days(one: str | None, other: str | None) -> int:
    """Days between two dates (a very large number if either is missing)."""
    if not one or not other:
        return 10**6
    return abs((date.fromisoformat(one[:10]) - date.fromisoformat(other[:10])).days)
