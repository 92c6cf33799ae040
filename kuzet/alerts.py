"""Bill alerts: derive bills and events from stored documents and queue one e-mail per new thing.

`check_alerts` (what `kuzet alerts` and the scheduler call) runs the bill tracker and, in the
same transaction, decides what to mail and queues it in the outbox (`kuzet.mail.queue`), so an
event and its alert are recorded together or not at all, and a re-run finds nothing new:

- a bill becomes *relevant* when a document about it is flagged on a topic (its own pages, or a
  news item about it and no other bill), or when someone tracks it (`kuzet bills track`);
- a relevant bill seen for the first time gets one "new bill" alert carrying its timeline
  (however many stages it arrives with); after that, each check that finds it further on
  sends one alert naming the new stage(s) — an event that only fills in older history is
  recorded without one;
- the first check that finds relevant bills (a new installation reading a year of history)
  sends no flood: one summary of them, then alerts as above; and a move dated more than
  `[alerts] max_age_days` ago (a new source's history, a rules change that flags an old law)
  is recorded, not mailed.

Every event keeps what happened to it in `bill_events.alert` (`alert`, `new_bill`,
`baseline`, `history`, `quiet` for a bill nobody follows), each message a dedupe key
(`alert:bill:<key>:new`, `alert:bill:<key>:<stage>:<date>`, `alert:bills:baseline`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kuzet import alert_mail, mail
from kuzet.alert_mail import BillView
from kuzet.bill_tracker import Tracker
from kuzet.bills import moves_forward, ordered, rules
from kuzet.config import TIMEZONE
from kuzet.documents import now_iso
from kuzet.settings import Settings, load_settings
from kuzet.store import Store

log = logging.getLogger(__name__)


@dataclass
class AlertsReport:
    """What one check found and queued (or, with dry_run, would have)."""

    new_bills: int = 0
    new_events: int = 0
    queued: int = 0
    lines: list[str] = field(default_factory=list)
    dry_run: bool = False
    bills: int = 0
    relevant: int = 0
    subjects: list[str] = field(default_factory=list)
    news_read: int = 0  # news items read (again): new, changed, or naming a bill that is new
    notes: list[str] = field(default_factory=list)  # source statements ignored, and why


def check_alerts(
    store: Store,
    settings: Settings | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> AlertsReport:
    """Derive bills and events from the stored documents and queue the alerts they call for.

    Idempotent: a second run with no new documents changes nothing and queues nothing. Safe to
    run every few minutes, and alongside `kuzet alerts` (runs take turns on a write lock).
    With `dry_run` nothing is kept; the report says what would have been queued. `now`
    (default: the current time) dates the run, e.g. in tests.
    """
    settings = settings or load_settings()
    now = now or datetime.now(UTC)
    report = AlertsReport(dry_run=dry_run)
    run_id = None if dry_run else store.start_run("alerts")
    try:
        with store.bills_transaction(dry_run=dry_run):
            tracker = Tracker(store, rules(), now.astimezone(ZoneInfo(TIMEZONE)).date())
            tracker.run()
            _Decider(store, settings, tracker, report, now).decide()
    except BaseException as exc:
        if run_id is not None:
            store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:500])
        raise
    report.notes = list(tracker.notes)
    for note in report.notes:
        log.info("%s", note)
    if report.notes:  # the same ones come back at every check: counted here, listed with -v
        report.lines.append(
            f"{len(report.notes)} statement(s) in the sources ignored as impossible or "
            "ambiguous ('kuzet -v alerts' lists them)"
        )
    report.news_read = tracker.news_read
    if warning := recipient_warning(settings):  # in the report, not the log: said once
        report.lines.insert(0, f"warning: {warning}")
    if run_id is not None:
        store.finish_run(run_id, "ok", message=describe(report))
    return report


@dataclass
class _Decider:
    """Decides, bill by bill, what the tracker's findings call for, and queues it."""

    store: Store
    settings: Settings
    tracker: Tracker
    report: AlertsReport
    now: datetime

    def decide(self) -> None:
        # The first check that finds relevant bills sums them up in one message: until then no
        # bill has been made known (a fresh installation's first checks may find nothing).
        baseline = not any(b.get("announced") for b in self.tracker.bills.values())
        cutoff = (self.now - timedelta(days=self.settings.alerts["max_age_days"])).date()
        self.cutoff = cutoff.isoformat()
        self.recipients = list(self.settings.alerts["to"])
        summary: list[BillView] = []
        for bill_id, bill in self.tracker.bills.items():
            change = self.tracker.changes[bill_id]
            self.report.new_bills += change.created
            self.report.new_events += len(change.new_events)
            relevant = bool(bill.get("topics")) or bool(bill.get("tracked"))
            self.report.bills += 1
            self.report.relevant += relevant
            if not relevant:
                self._mark(change.new_events, "quiet")
                continue
            if bill.get("announced") is None:
                how = self._announce(bill, change, baseline)
                if how == "baseline":
                    # the summary shows title, stage and topics only: no evidence to read
                    timeline = ordered(self.tracker.events[bill["id"]])
                    summary.append(BillView(bill=bill, timeline=timeline))
                if how != "tracked":
                    continue
            self._stage_moves(bill, change)
        if summary:
            summary.sort(key=lambda v: _latest_date(v.timeline), reverse=True)
            summed = alert_mail.baseline(summary, self.recipients)
            self._queue(summed, "summary of the first relevant bills")
        if not self.recipients and self.report.queued and not self.settings.mail["host"]:
            self.report.lines.append(
                "no alert recipients configured ([alerts] to, KUZET_ALERT_TO): the messages "
                "are queued without recipients"
            )

    def _announce(self, bill: dict[str, Any], change: Any, baseline: bool) -> str:
        """A relevant bill not yet made known: summary, silent history, tracked, or an alert."""
        events = self.tracker.events[bill["id"]]
        latest = _latest_date(events)
        if baseline:
            how = "baseline"
        elif bill.get("tracked") and not bill.get("topics"):
            how = "tracked"
        elif latest and latest < self.cutoff:
            how = "history"
        else:
            how = "alert"
        fields = {"announced": how, "announced_at": now_iso()}
        self.store.update_bill(bill["id"], fields)
        bill.update(fields)
        if how == "tracked":
            return how
        unmarked = [e for e in events if e.get("alert") in (None, "quiet")]
        self._mark(unmarked, {"alert": "new_bill"}.get(how, how))
        if how == "alert":
            view = self._view(bill, {e["id"] for e in change.new_events})
            self._queue(alert_mail.new_bill(view, self.recipients), bill["key"])
        return how

    def _stage_moves(self, bill: dict[str, Any], change: Any) -> None:
        """One alert for the new stage(s) of a followed bill; older history is only recorded."""
        fresh = [e for e in change.new_events if e.get("alert") is None]
        if not fresh:
            return
        forward = [
            e
            for e in fresh
            if moves_forward(e, change.previous)
            and (not e.get("event_date") or e["event_date"] >= self.cutoff)
        ]
        if not forward:
            self._mark(fresh, "history")
            return
        self._mark(fresh, "alert")
        view = self._view(bill, {e["id"] for e in fresh})
        self._queue(alert_mail.stage_move(view, self.recipients), bill["key"])

    def _mark(self, events: list[dict[str, Any]], state: str) -> None:
        for event in events:
            if event.get("alert") != state:
                self.store.update_bill_event(event["id"], {"alert": state})
                event["alert"] = state

    def _view(self, bill: dict[str, Any], new_ids: set[int]) -> BillView:
        documents = self.store.bill_documents(bill["id"])
        relevant = [
            d for d in documents if d["id"] in self.tracker.relevant_docs.get(bill["id"], [])
        ]
        flags = self.store.flag_evidence([d["id"] for d in relevant])
        evidence = []
        for doc in relevant:
            for topic, items in flags.get(doc["id"], {}).items():
                for item in items[:1]:
                    evidence.append({"topic": topic, "title": doc["title"], "url": doc["url"],
                                     "kind": doc["kind"], "source": doc["source"],
                                     "text": item.get("text", ""),
                                     "sentence": item.get("sentence", "")})  # fmt: skip
        return BillView(
            bill=bill,
            timeline=ordered(self.tracker.events[bill["id"]]),
            new_ids=new_ids,
            evidence=evidence[:6],
            news=sum(d["role"] == "news" for d in documents),
        )

    def _queue(self, out: mail.Outgoing, about: str) -> None:
        queued = mail.queue(self.store, out, self.settings)
        verb = "would queue" if self.report.dry_run else "queued"
        if queued is None:
            self.report.lines.append(f"already in the outbox: {out.subject}")
            return
        self.report.queued += 1
        self.report.subjects.append(out.subject)
        self.report.lines.append(f"{verb} alert ({about}): {out.subject}")


def recipient_warning(settings: Settings) -> str | None:
    """What is wrong when a mail server is configured but nobody is to get the alerts."""
    if settings.mail["host"] and not settings.alerts["to"]:
        return (
            "a mail server is configured but no alert recipients ([alerts] to, KUZET_ALERT_TO "
            "are empty): alerts wait in the outbox until recipients are set"
        )
    return None


def _latest_date(events: list[dict[str, Any]]) -> str:
    return max((e["event_date"] for e in events if e.get("event_date")), default="")


def describe(report: AlertsReport) -> str:
    """One line summing up a check."""
    verb = "would queue" if report.dry_run else "queued"
    return (
        f"bills: {report.bills} followed ({report.relevant} relevant or tracked), "
        f"{report.new_bills} new; {report.new_events} new events; {verb} "
        f"{report.queued} alert{'s' if report.queued != 1 else ''}"
        + (" (dry run: nothing was changed)" if report.dry_run else "")
    )


__all__ = ["AlertsReport", "check_alerts", "describe", "recipient_warning"]
