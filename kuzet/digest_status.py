"""The digest's bills that appeared or moved, its source-health line, and shared helpers.

Bills are read from the `bills` and `bill_events` tables (issue 5 fills them): a relevant bill
(topics, or tracked by hand) is *new* on the day its first_seen_at falls in, and has *moved*
when a `bill_events` row was recorded that day; a bill's events of the day are listed in its
timeline order (`kuzet.bills.ordered`: by date, then process order). Strings from sources
are cleaned here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kuzet import digest_render as r
from kuzet.bills import ordered, title_of
from kuzet.config import TOPICS, load_sources
from kuzet.documents import local_date
from kuzet.errors import KuzetError
from kuzet.health import is_bad, source_health
from kuzet.settings import Settings
from kuzet.store import Store


@dataclass
class BillEntry:
    """A relevant bill that appeared (new) or moved that day."""

    bill_id: int
    new: bool
    title: str
    lang: str | None
    stage: str
    stage_date: str
    initiator: str
    identifiers: str
    topics: list[str]
    tracked: bool
    events: list[dict[str, Any]]
    url: str | None


def configured_names() -> dict[str, str]:
    """Source names from data/sources.toml (empty if the file cannot be read)."""
    try:
        return {sid: s.name for sid, s in load_sources().sources.items() if s.name}
    except KuzetError:
        return {}


def source_name(source: str | None, stored: str | None, names: dict[str, str]) -> str:
    """A source's display name: the stored one, else its name in `names` (the sources file),
    else its id (a source first created by an import has only its id as name)."""
    sid = str(source or "")
    name = stored if stored and stored != sid else names.get(sid, sid)
    return r.clean(name)


def short_date(d: date | None) -> str:
    """`30 Nov 2026`, or an empty string."""
    return f"{d.day} {d.strftime('%b %Y')}" if d else ""


def bills(store: Store, lo: str, hi: str, names: dict[str, str]) -> list[BillEntry]:
    new = store.relevant_bills_seen(lo, hi)
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in store.relevant_bill_events(lo, hi):
        events[e["bill_id"]].append(e)
    for bill_id, found in events.items():
        events[bill_id] = ordered(found)  # the bill's timeline order, as `kuzet bills show`
    new_ids = {b["id"] for b in new}
    moved = store.bills_by_id([i for i in events if i not in new_ids])
    entries = [_bill(b, events.get(b["id"], []), True, names) for b in new]
    entries += [_bill(b, events[b["id"]], False, names) for b in moved.values()]
    return entries


def _bill(
    bill: dict[str, Any], events: list[dict[str, Any]], new: bool, names: dict[str, str]
) -> BillEntry:
    stage = str(bill.get("stage") or "")
    shown = [
        {
            "stage": r.STAGE_NAMES.get(e["stage"], r.clean(e["stage"]).replace("_", " ")),
            "date": short_date(local_date(e["event_date"])) or r.clean(e["event_date"]),
            "source": source_name(e.get("source"), e.get("source_name"), names),
            "url": r.safe_url(e.get("url")),
        }
        for e in events
    ]
    links = [e["url"] for e in shown if e["url"]]
    ids = bill.get("identifiers") or {}
    return BillEntry(
        bill_id=bill["id"],
        new=new,
        title=r.clean(title_of(bill)),
        lang="ru" if bill.get("title_ru") else ("kk" if bill.get("title_kk") else None),
        stage=r.STAGE_NAMES.get(stage, r.clean(stage).replace("_", " ")) or "stage unknown",
        stage_date=short_date(local_date(bill.get("stage_date"))),
        initiator=r.clean(bill.get("initiator")),
        identifiers=identifiers_line(ids),
        topics=[t for t in TOPICS if t in (bill.get("topics") or [])],
        tracked=bool(bill.get("tracked")),
        events=shown,
        url=links[-1] if links else None,
    )


def identifiers_line(ids: dict[str, Any]) -> str:
    """A bill's identifiers on one line, `adilet Z2500000250; number 250-VIII` (each kind's
    values joined; the former titles kept there are not identifiers)."""
    parts = []
    for kind, values in ids.items():
        if kind == "other_titles" or not values:
            continue
        values = values if isinstance(values, list) else [values]
        shown = ", ".join(v for v in (r.clean(x) for x in values) if v)
        if shown:
            parts.append(f"{r.clean(kind)} {shown}")
    return "; ".join(parts)


def health_line(
    store: Store, settings: Settings, lo: str, hi: str, now: datetime
) -> dict[str, Any]:
    """The source-health line: sources whose every crawl that day was bad, stale sources."""
    runs = store.crawl_runs_between(lo, hi)
    try:
        health = source_health(store, settings, now=now)
    except KuzetError as exc:
        return {"ok": False, "text": f"unavailable ({r.clean(exc)})"}
    names = {h.source: r.clean(h.name) for h in health}
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_source[run["source"]].append(run)
    parts, ok = [], True
    if not runs:
        parts.append("no crawl ran on this day: check that the scheduler is running")
        ok = False
    else:
        bad = {s: rs for s, rs in by_source.items() if all(is_bad(x) for x in rs)}
        parts.append(f"{len(by_source) - len(bad)} of {len(by_source)} sources crawled answered")
        if bad:
            ok = False
            parts.append(
                "failed or returned nothing: "
                + "; ".join(
                    f"{names.get(s, r.clean(s))} ({_reason(rs[-1])})"
                    for s, rs in sorted(bad.items())
                )
            )
        missing = [h for h in health if h.enabled and h.source not in by_source]
        if missing:
            ok = False
            parts.append("not crawled: " + ", ".join(names[h.source] for h in missing))
    stale = [h for h in health if h.stale]
    if stale:
        ok = False
        parts.append(
            "stale (nothing for "
            f"{settings.operations['stale_after_runs']}+ runs in a row): "
            + ", ".join(
                f"{names[h.source]} since {short_date(local_date(h.bad_since))}" for h in stale
            )
        )
    return {"ok": ok, "text": "; ".join(parts) + "."}


def _reason(run: dict[str, Any]) -> str:
    what = "failed" if run["status"] == "failed" else "nothing fetched"
    message = r.clean(run.get("message"))
    if len(message) > 90:
        message = message[:89].rstrip() + "…"
    return f"{what}: {message}" if message else what
