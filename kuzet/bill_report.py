"""Bills for people: the list, one bill with its timeline, documents and news (`kuzet bills`)."""

from __future__ import annotations

from typing import Any

from kuzet.bill_phrases import local_date
from kuzet.bills import ordered, stage_label, title_of
from kuzet.store import Store

#: How wide `kuzet bills list` makes a line (titles are cut to fit; keys never are).
TABLE_WIDTH = 180
TITLE_MIN = 40
#: How `kuzet bills show` marks an event by what its alert state says.
ALERT_MARKS = {
    "alert": "mailed",
    "new_bill": "in the new-bill alert",
    "baseline": "in the first summary",
    "history": "recorded (older history, not mailed)",
    "quiet": "recorded (bill not followed then)",
}


def list_bills(
    store: Store, *, everything: bool = False, stage: str | None = None
) -> list[dict[str, Any]]:
    """Bills as JSON-ready dicts, latest move first (relevant or tracked unless everything)."""
    return [_public(b) for b in store.list_bills(everything=everything, stage=stage)]


def _public(bill: dict[str, Any]) -> dict[str, Any]:
    stage = bill.get("stage")
    return {
        "id": bill["id"],
        "key": bill["key"],
        "title_ru": bill.get("title_ru"),
        "title_kk": bill.get("title_kk"),
        "stage": stage,
        "stage_label": stage_label(stage, bill.get("stage_date")) if stage else None,
        "stage_date": bill.get("stage_date"),
        "topics": bill.get("topics") or [],
        "tracked": bool(bill.get("tracked")),
        "initiator": bill.get("initiator"),
        "identifiers": bill.get("identifiers") or {},
        "first_seen_at": bill.get("first_seen_at"),
        "updated_at": bill.get("updated_at"),
    }


def table_lines(bills: list[dict[str, Any]], width: int = TABLE_WIDTH) -> list[str]:
    """`kuzet bills list` as a table: every key in full (it is what `bills show` takes); the
    title is cut to what is left of `width` (at least TITLE_MIN characters)."""
    key_w = max([len("key"), *(len(b["key"]) for b in bills)])
    head = f"{'id':>4}  {'key':<{key_w}} {'stage':<18} {'date':<10}  {'why':<24} "
    room = max(TITLE_MIN, width - len(head))
    lines = [f"{head}title"]
    for b in bills:
        why = ",".join(b["topics"]) + (" tracked" if b["tracked"] else "")
        title = " ".join(title_of(b).split())
        if len(title) > room:
            title = title[: room - 1].rstrip() + "…"
        lines.append(
            f"{b['id']:>4}  {b['key']:<{key_w}} {(b['stage'] or '-')[:18]:<18} "
            f"{b['stage_date'] or '-':<10}  {why.strip()[:24] or '-':<24} {title}"
        )
    return lines


def bill_details(store: Store, ref: str) -> dict[str, Any]:
    """One bill (by id, key or identifier) with its timeline and linked documents."""
    bill = store.find_bill(ref)
    timeline = []
    for e in ordered(store.bill_timeline(bill["id"])):
        timeline.append(
            {
                "id": e["id"],
                "date": e.get("event_date"),
                "stage": e["stage"],
                "stage_label": stage_label(e["stage"], e.get("event_date")),
                "source": e.get("source"),
                "url": e.get("url"),
                "document_id": e.get("document_id"),
                "evidence": e.get("evidence") or {},
                "alert": e.get("alert"),
                "recorded_at": e.get("recorded_at"),
            }
        )
    documents = store.bill_documents(bill["id"])
    return {
        **_public(bill),
        "announced": bill.get("announced"),
        "timeline": timeline,
        "documents": [d for d in documents if d["role"] == "source"],
        "news": [d for d in documents if d["role"] == "news"],
    }


def detail_lines(details: dict[str, Any]) -> list[str]:
    """`kuzet bills show` as text: the bill, its timeline, its documents and news."""
    d = details
    lines = [title_of(d)]
    if d.get("title_kk") and d.get("title_ru"):
        lines.append(d["title_kk"])
    lines.append("")
    why = ", ".join(d["topics"]) or "-"
    facts = [
        ("key", f"{d['key']} (id {d['id']})"),
        (
            "stage",
            f"{d['stage_label'] or '-'}" + (f", {d['stage_date']}" if d["stage_date"] else ""),
        ),
        ("relevant for", why + ("; tracked by hand" if d["tracked"] else "")),
        ("initiator", d.get("initiator") or "-"),
    ]
    for kind, values in d["identifiers"].items():
        label = "also titled" if kind == "other_titles" else kind
        facts.append((label, "; ".join(values)))
    lines += [f"  {name:<14} {value}" for name, value in facts]
    lines += ["", "Timeline:"]
    if not d["timeline"]:
        lines.append("  (no stage recorded yet)")
    for e in d["timeline"]:
        ev = e["evidence"]
        until = f" (until {ev['open_until']})" if ev.get("open_until") else ""
        lines.append(
            f"  {e['date'] or 'date not given':<16} {e['stage_label'] + until:<42} "
            f"{e['source'] or '-':<11} {e['url'] or ''}"
        )
        said = ev.get("sentence") or ev.get("phrase")
        if said:
            lines.append(f"  {'':<16} «{' '.join(str(said).split())[:200]}»")
        also = len(ev.get("also", []))
        mark = ALERT_MARKS.get(e["alert"] or "", "")
        notes = [n for n in (mark, f"also reported by {also} more" if also else "") if n]
        if notes:
            lines.append(f"  {'':<16} [{'; '.join(notes)}]")
    for title, docs in (("Documents", d["documents"]), ("News", d["news"])):
        lines += ["", f"{title} ({len(docs)}):"]
        for doc in docs:
            flags = ",".join(doc.get("topics") or [])
            lines.append(
                f"  #{doc['id']:<5} {local_date(doc['dated_utc']) or '':<10} {doc['source']:<12} "
                f"{doc['title'][:70]}" + (f"  [{flags}]" if flags else "")
            )
            lines.append(f"  {'':<6} {doc['url']}  (matched by {doc['matched_by']})")
    return lines
