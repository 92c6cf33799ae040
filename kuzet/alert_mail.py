"""The text of bill alerts: a new relevant bill, a bill's new stage, the first run's summary.

Every value that came from a scraped page (titles, phrases, URLs) is put in the plain-text part
as it is and in the HTML part escaped; the subject is one line (`kuzet.mail` flattens it), so a
title with a line break or markup can neither add a header nor inject HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from kuzet.bill_titles import short_title
from kuzet.bills import stage_label, title_of
from kuzet.mail import Outgoing, one_line

TITLE_IN_SUBJECT = 110
FOOTER = (
    "Kuzet keeps watch on LGBT people's rights in Kazakhstan. You get this alert because you "
    "are on its alert list (KUZET_ALERT_TO). 'kuzet bills show {key}' prints the bill."
)


@dataclass
class BillView:
    """Everything an alert says about one bill."""

    bill: dict[str, Any]
    timeline: list[dict[str, Any]]
    new_ids: set[int] = field(default_factory=set)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    news: int = 0

    @property
    def title(self) -> str:
        return title_of(self.bill)

    @property
    def short(self) -> str:
        """The title as it fits in a subject line."""
        return short_title(one_line(self.title, 1000), TITLE_IN_SUBJECT)

    @property
    def new_events(self) -> list[dict[str, Any]]:
        return [e for e in self.timeline if e["id"] in self.new_ids]


def _when(event: dict[str, Any]) -> str:
    return event.get("event_date") or "date not given"


def _stage(event: dict[str, Any]) -> str:
    label = stage_label(event["stage"], event.get("event_date"))
    until = (event.get("evidence") or {}).get("open_until")
    return f"{label} (until {until})" if until else label


def _link(url: str | None) -> str:
    """An <a> for http(s) URLs, escaped text for anything else."""
    if not url:
        return ""
    safe = html.escape(url, quote=True)
    return f'<a href="{safe}">{safe}</a>' if url.startswith(("http://", "https://")) else safe


def _reasons(view: BillView) -> list[tuple[str, str, str | None]]:
    """Why the bill is followed: (what, the words and sentence, the document's URL) each."""
    found: list[tuple[str, str, str | None]] = []
    for item in view.evidence:
        what = (
            f"flagged {item['topic']} in «{one_line(item['title'], 160)}» "
            f"({item['kind']}, {item['source']})"
        )
        said = f"«{one_line(item['text'], 120)}» — {one_line(item['sentence'], 300)}"
        found.append((what, said, item["url"]))
    if view.bill.get("tracked"):
        found.append(("tracked by hand (kuzet bills track)", "", None))
    return found or [("no flagged document found any more", "", None)]


def _reason(view: BillView) -> list[str]:
    """Why the bill is followed, as plain-text lines."""
    lines = []
    for what, said, url in _reasons(view):
        lines.append(f"- {what}" + (f" {url}" if url else "") + (":" if said else ""))
        if said:
            lines.append(f"  {said}")
    return lines


def _reason_html(view: BillView) -> str:
    e = html.escape
    return "".join(
        f"<li>{e(what)}"
        + (f" {_link(url)}" if url else "")
        + (f"<br>{e(said)}" if said else "")
        + "</li>"
        for what, said, url in _reasons(view)
    )


def _timeline_text(view: BillView) -> list[str]:
    lines = []
    for e in view.timeline:
        mark = "*" if e["id"] in view.new_ids else " "
        new = "   <- new" if e["id"] in view.new_ids else ""
        lines.append(
            f"{mark} {_when(e):<16} {_stage(e):<44} {e.get('source') or '-':<11} "
            f"{e.get('url') or ''}{new}"
        )
    return lines


Fact = tuple[str, str, str | None]  # name, value, a URL to link (HTML) after the value


def _facts(view: BillView) -> list[Fact]:
    bill = view.bill
    facts: list[Fact] = [("Bill", view.title, None)]
    if bill.get("title_kk") and bill.get("title_ru"):
        facts.append(("Kazakh title", bill["title_kk"], None))
    for other in (bill.get("identifiers") or {}).get("other_titles", []):
        facts.append(("Also titled", other, None))
    if bill.get("initiator"):
        facts.append(("Initiator", bill["initiator"], None))
    ids = "; ".join(
        f"{kind} {', '.join(values)}"
        for kind, values in (bill.get("identifiers") or {}).items()
        if kind != "other_titles"
    )
    facts.append(("Identifiers", f"{ids or '-'} (key {bill['key']})", None))
    if bill.get("topics"):
        facts.append(("Topics", ", ".join(bill["topics"]), None))
    facts.append(("Linked news", str(view.news), None))
    return facts


def _event_facts(event: dict[str, Any]) -> list[Fact]:
    ev = event.get("evidence") or {}
    facts: list[Fact] = [("Stage", f"{_stage(event)}, {_when(event)}", None)]
    facts.append(("Source", event.get("source") or "-", event.get("url")))
    said = ev.get("sentence") or ev.get("phrase")
    if said:
        facts.append(("It says", f"«{one_line(said, 400)}»", None))
    for other in [a for a in ev.get("also", []) if a.get("url")][:5]:
        facts.append(("Also reported by", other.get("source") or "-", other["url"]))
    return facts


def _text(intro: str, facts: list[Fact], view: BillView) -> str:
    lines = [intro, ""]
    lines += [
        f"{name + ':':<17} {one_line(value, 1000)}" + (f" {url}" if url else "")
        for name, value, url in facts
    ]
    lines += ["", "Why Kuzet follows it:", *_reason(view), "", "Timeline:", *_timeline_text(view)]
    lines += ["", "-- ", FOOTER.format(key=view.bill["key"])]
    return "\n".join(lines) + "\n"


def _html(intro: str, facts: list[Fact], view: BillView) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><th align='left' valign='top'>{e(name)}</th><td>{e(one_line(value, 1000))}"
        + (f" {_link(url)}" if url else "")
        + "</td></tr>"
        for name, value, url in facts
    )
    reasons = _reason_html(view)
    events = "".join(_event_row(ev, ev["id"] in view.new_ids) for ev in view.timeline)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        f"<p>{e(intro)}</p><table>{rows}</table>"
        f"<h3>Why Kuzet follows it</h3><ul>{reasons}</ul>"
        "<h3>Timeline</h3><table border='1' cellpadding='4' cellspacing='0'>"
        "<tr><th>date</th><th>stage</th><th>source</th><th>page</th><th></th></tr>"
        f"{events}</table><p><small>{e(FOOTER.format(key=view.bill['key']))}</small></p>"
        "</body></html>"
    )


def _event_row(event: dict[str, Any], new: bool) -> str:
    e = html.escape
    style = ' style="font-weight:bold"' if new else ""
    return (
        f"<tr{style}><td>{e(_when(event))}</td><td>{e(_stage(event))}</td>"
        f"<td>{e(event.get('source') or '-')}</td><td>{_link(event.get('url'))}</td>"
        f"<td>{'new' if new else ''}</td></tr>"
    )


def _headers(view: BillView) -> dict[str, str]:
    return {"X-Kuzet-Bill": view.bill["key"]}


def event_key(bill_key: str, event: dict[str, Any]) -> str:
    """The outbox dedupe key of the alert about one event of one bill."""
    return f"alert:bill:{bill_key}:{event['stage']}:{event.get('event_date') or 'undated'}"


def new_bill(view: BillView, recipients: list[str]) -> Outgoing:
    """The alert for a bill that has just become relevant (its whole timeline in it)."""
    latest = view.timeline[-1] if view.timeline else None
    topics = ", ".join(view.bill.get("topics") or []) or "tracked"
    stage = f"{_stage(latest)}, {_when(latest)}" if latest else "stage not known yet"
    subject = f"Kuzet: new bill ({topics}) — {view.short} — {stage}"
    intro = f"A new bill concerning {topics} is on Kuzet's list. Its latest stage: {stage}."
    facts = _facts(view) + (_event_facts(latest) if latest else [])
    return Outgoing(
        kind="alert",
        dedupe_key=f"alert:bill:{view.bill['key']}:new",
        recipients=recipients,
        subject=subject,
        text=_text(intro, facts, view),
        html=_html(intro, facts, view),
        headers=_headers(view),
    )


def stage_move(view: BillView, recipients: list[str]) -> Outgoing:
    """The alert for a bill's new stage (several found at once: one alert naming them all)."""
    news = view.new_events
    top = news[-1]
    subject = f"Kuzet: {_stage(top)} ({_when(top)}) — {view.short}"
    intro = f"A bill Kuzet follows moved: {_stage(top)}, {_when(top)}."
    facts = _facts(view) + _event_facts(top)
    if len(news) > 1:
        earlier = "; ".join(f"{_stage(e)}, {_when(e)}" for e in news[:-1])
        facts.append(("Also new", earlier, None))
        intro += f" Also recorded in this check: {earlier}."
    return Outgoing(
        kind="alert",
        dedupe_key=event_key(view.bill["key"], top),
        recipients=recipients,
        subject=subject,
        text=_text(intro, facts, view),
        html=_html(intro, facts, view),
        headers=_headers(view),
    )


def baseline(views: list[BillView], recipients: list[str]) -> Outgoing:
    """The first run's one message: the relevant bills Kuzet now follows, latest move first."""
    e = html.escape
    intro = (
        f"Kuzet now follows {len(views)} bill{'s' if len(views) != 1 else ''} that concern "
        "its topics. They are the first Kuzet has found, so their history is summed up here, "
        "once; from now on each new bill and each new stage gets its own alert."
    )
    lines, rows = [intro, ""], []
    for view in views[:50]:
        latest = view.timeline[-1] if view.timeline else None
        stage = f"{_stage(latest)}, {_when(latest)}" if latest else "stage not known"
        topics = ", ".join(view.bill.get("topics") or []) or "tracked"
        lines += [f"- {one_line(view.title, 300)}", f"  {stage}; {topics}; key {view.bill['key']}"]
        rows.append(
            f"<tr><td>{e(one_line(view.title, 300))}</td><td>{e(stage)}</td><td>{e(topics)}</td>"
            f"<td>{e(view.bill['key'])}</td></tr>"
        )
    if len(views) > 50:
        lines.append(f"… and {len(views) - 50} more: kuzet bills list")
    lines += ["", "-- ", "Kuzet. 'kuzet bills list' lists them; 'kuzet bills show KEY' prints one."]
    body_html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        f"<p>{e(intro)}</p><table border='1' cellpadding='4' cellspacing='0'>"
        "<tr><th>bill</th><th>latest stage</th><th>topics</th><th>key</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
    return Outgoing(
        kind="alert",
        dedupe_key="alert:bills:baseline",
        recipients=recipients,
        subject=f"Kuzet now follows {len(views)} bill{'s' if len(views) != 1 else ''}",
        text="\n".join(lines) + "\n",
        html=body_html,
    )
