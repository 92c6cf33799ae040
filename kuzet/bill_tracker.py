"""The bill tracker: stored documents -> bills, their identities, links and timelines.

`Tracker.run` reads every legislation document and every news item with legal references,
finds the bill each one is about (`resolve`: a document already linked, then identifiers, then
title cores, unless `kuzet.bill_identity` says the document must be another bill), creates
bills for legislation that is a bill (a law, code or draft law) or that the NLP stage flagged,
and merges stage claims into events (`kuzet.bill_merge`): one event per (bill, stage, date); a
second report of it (another source, a news item) is added to its evidence, a news report
without a date of its own never adds a stage the timeline already has, and a weak date (a news
item's publication date, adilet's index date) gives way to a source's own date. Everything is
written inside the caller's transaction (`Store.bills_transaction`), so the alerts decided on
the way are queued with the events that cause them.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kuzet.bill_identity import contradictions, id_conflict, process_conflict
from kuzet.bill_merge import corroboration, implied, is_date, same_event
from kuzet.bill_news import NewsFinding, TitleIndex, read_news
from kuzet.bill_sources import Observation, observe
from kuzet.bill_titles import CoreIndex, display_title, title_core
from kuzet.bills import Claim, Rules, current, era_problem, key_for
from kuzet.documents import now_iso
from kuzet.store import Store
from kuzet.store.bills import LEGISLATION_KINDS

log = logging.getLogger(__name__)


@dataclass
class BillChange:
    """What one run found new about a bill."""

    created: bool = False
    new_events: list[dict[str, Any]] = field(default_factory=list)
    previous: dict[str, Any] | None = None  # the event that gave its stage before this run


@dataclass
class Tracker:
    """The tracker's memory of bills for one run, written through to the store."""

    store: Store
    rules: Rules
    today: date
    bills: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)  # of `bills` (a key never changes)
    aliases: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    bill_aliases: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    core_index: CoreIndex | None = None
    doc_bill: dict[int, int] = field(default_factory=dict)
    links: set[tuple[int, int]] = field(default_factory=set)
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    changes: dict[int, BillChange] = field(default_factory=dict)
    titles: dict[int, list[tuple[int, str, str, str]]] = field(default_factory=dict)
    initiators: dict[int, str] = field(default_factory=dict)
    topics: dict[int, set[str]] = field(default_factory=dict)
    relevant_docs: dict[int, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    news_read: int = 0

    # -- loading and running ---------------------------------------------------------------

    def load(self) -> None:
        """Read the bills already known (inside the run's transaction)."""
        state = self.store.bills_state()
        for bill in state["bills"]:
            self.bills[bill["id"]] = bill
            self.keys.add(bill["key"])
            self.events[bill["id"]] = []
        for a in state["aliases"]:
            self._remember_alias(a["bill_id"], a["kind"], a["value"])
        for link in state["links"]:
            self.links.add((link["bill_id"], link["document_id"]))
            if link["role"] == "source":
                self.doc_bill[link["document_id"]] = link["bill_id"]
        for event in state["events"]:
            self.events.setdefault(event["bill_id"], []).append(event)
        for bill_id in self.bills:
            self.changes[bill_id] = BillChange(previous=current(self.events[bill_id]))

    def run(self) -> None:
        """Derive bills and events from every stored document."""
        self.load()
        refs = self.store.current_refs(LEGISLATION_KINDS)
        for obs in observe(self.store.legislation_documents(), refs, self.rules):
            self.apply(obs)
        read_news(self)
        self.finish()

    def index(self, only: list[dict[str, Any]] | None = None) -> TitleIndex:
        """Where news can find bills: identifiers and title cores (all, or `only` these)."""
        if only is None:
            pairs = [(k, b) for k, bills in self.aliases.items() for b in bills]
            cores = self.cores()
        else:
            pairs = [((a["kind"], a["value"]), a["bill_id"]) for a in only]
            cores = CoreIndex(self.rules)
        ids: dict[tuple[str, str], list[int]] = {}
        index = TitleIndex(ids=ids, cores=cores)
        for (kind, value), bill_id in sorted(pairs):
            if not kind.startswith("title_"):
                ids.setdefault((kind, value), []).append(bill_id)
                continue
            if only is not None:
                cores.add(value, bill_id)
            index.add_searchable(value, bill_id, self.rules)
        return index

    def cores(self) -> CoreIndex:
        if self.core_index is None:
            self.core_index = CoreIndex(self.rules)
        return self.core_index

    # -- identity --------------------------------------------------------------------------

    def _remember_alias(self, bill_id: int, kind: str, value: str) -> None:
        self.aliases.setdefault((kind, value), set()).add(bill_id)
        self.bill_aliases.setdefault(bill_id, set()).add((kind, value))
        if kind.startswith("title_"):
            self.cores().add(value, bill_id)

    def resolve(self, obs: Observation) -> tuple[int | None, str]:
        """The bill an observation is about, and how it was recognised."""
        linked = sorted({self.doc_bill[d["id"]] for d in obs.documents if d["id"] in self.doc_bill})
        by_id = [(b, f"{k} {v}") for k, v in obs.ids for b in sorted(self.aliases.get((k, v), ()))]
        if linked:
            others = {b for b, _how in by_id} - set(linked)
            if others:
                self.notes.append(
                    f"document {obs.documents[0]['id']} names bills {linked[0]} and "
                    f"{min(others)}: kept with bill {linked[0]}"
                )
            return linked[0], "same document"
        if by_id:
            if len({b for b, _how in by_id}) > 1:
                self.notes.append(
                    f"document {obs.documents[0]['id']} has identifiers of bills "
                    f"{sorted({b for b, _h in by_id})}: linked to bill {by_id[0][0]}"
                )
            return by_id[0]
        ambiguous: set[int] = set()
        for _lang, title in obs.titles:
            core = title_core(title, self.rules)
            found = {b for b, _core in self.cores().find(core)} if core else set()
            candidates = sorted(b for b in found if self._compatible(b, obs))
            if len(candidates) == 1:
                return candidates[0], "title"
            ambiguous.update(candidates)
        if ambiguous:
            keys = ", ".join(self.bills[b]["key"] for b in sorted(ambiguous))
            self.notes.append(
                f"document {obs.documents[0]['id']} ({obs.documents[0]['url']}): its title fits "
                f"bills {keys}; linked to none of them"
            )
        return None, ""

    def _compatible(self, bill_id: int, obs: Observation) -> bool:
        """False if an observation matching by title must be another bill (kuzet.bill_identity):
        an identifier of the same kind and site that differs, or another process."""
        theirs = self.bill_aliases.get(bill_id, set())
        if id_conflict(theirs, obs.ids):
            return False
        return process_conflict(self.events.get(bill_id, []), obs.claims) is None

    def apply(self, obs: Observation) -> None:
        """Link an observation to its bill (creating it if it is one) and merge its claims."""
        bill_id, how = self.resolve(obs)
        if bill_id is None:
            if not (obs.may_create or obs.flagged) or not obs.titles:
                return
            bill_id, how = self.create(obs), "first seen here"
        for doc in obs.documents:
            if (bill_id, doc["id"]) not in self.links:
                self.store.link_bill_document(bill_id, doc["id"], "source", how)
                self.links.add((bill_id, doc["id"]))
            self.doc_bill[doc["id"]] = bill_id
            if doc.get("topics"):
                self.topics.setdefault(bill_id, set()).update(doc["topics"])
                self.relevant_docs.setdefault(bill_id, []).append(doc["id"])
        for kind, value in obs.ids:
            self._alias(bill_id, kind, value)
        first_day = min((c.date for c in obs.claims if c.date), default="")
        for lang, title in obs.titles:
            core = title_core(title, self.rules)
            if core:
                self._alias(bill_id, f"title_{lang}", core)
                self.titles.setdefault(bill_id, []).append((obs.title_rank, first_day, lang, title))
        if obs.initiator:
            self.initiators.setdefault(bill_id, obs.initiator)
        for claim in obs.claims:
            self.merge(bill_id, claim)

    def _alias(self, bill_id: int, kind: str, value: str) -> None:
        if bill_id not in self.aliases.get((kind, value), set()):
            self.store.add_bill_alias(bill_id, kind, value)
            self._remember_alias(bill_id, kind, value)

    def create(self, obs: Observation) -> int:
        """A new bill for an observation that matched none."""
        if obs.ids:
            key = key_for(*obs.ids[0])
        else:
            core = title_core(obs.titles[0][1], self.rules)
            key = "t-" + hashlib.sha256(core.encode()).hexdigest()[:10]
        base, n = key, 2
        while key in self.keys:
            key, n = f"{base}-{n}", n + 1
        lang, title = obs.titles[0]
        fields = {"key": key, "title_ru" if lang != "kk" else "title_kk": display_title(title)}
        bill_id = self.store.insert_bill({**fields, "identifiers": {}, "topics": []})
        self.keys.add(key)
        self.bills[bill_id] = {
            "id": bill_id, "key": key, "title_ru": None, "title_kk": None, "identifiers": {},
            "initiator": None, "stage": None, "stage_date": None, "topics": [], "tracked": 0,
            "announced": None, "announced_at": None, **fields,
        }  # fmt: skip
        self.events[bill_id] = []
        self.changes[bill_id] = BillChange(created=True)
        return bill_id

    # -- news ------------------------------------------------------------------------------

    def apply_news(self, finding: NewsFinding) -> None:
        """Link a news item to the bills it names; merge the stages it reports for them."""
        doc = finding.document
        for bill_id, how in finding.mentions.items():
            if (bill_id, doc["id"]) not in self.links:
                self.store.link_bill_document(bill_id, doc["id"], "news", how)
                self.links.add((bill_id, doc["id"]))
        for bill_id, claim in finding.claims:
            self.merge(bill_id, claim)

    # -- events ----------------------------------------------------------------------------

    def merge(self, bill_id: int, claim: Claim) -> None:
        """Add a claim (and the claims it implies) to a bill's timeline: a new event, or
        evidence for one it has (kuzet.bill_merge)."""
        if claim.date and not is_date(claim.date):
            self.notes.append(f"bill {self.bills[bill_id]['key']}: {claim.stage} dated "
                              f"{claim.date!r} ignored (not a date; {claim.url})")  # fmt: skip
            return
        if claim.date and claim.date > self.today.isoformat():
            log.debug(
                "bill %s: %s dated %s is in the future: ignored", bill_id, claim.stage, claim.date
            )
            return
        if problem := era_problem(claim.stage, claim.date):
            self.notes.append(f"bill {self.bills[bill_id]['key']}: {claim.stage} on {claim.date} "
                              f"ignored ({problem}; {claim.url})")  # fmt: skip
            return
        for one in [claim, *implied(claim, self.rules)]:
            self._merge_one(bill_id, one)

    def _merge_one(self, bill_id: int, claim: Claim) -> None:
        events = self.events[bill_id]
        target = same_event([e for e in events if e["stage"] == claim.stage], claim)
        if target is not None:
            fields = corroboration(target, claim, events)
            if fields:
                self.store.update_bill_event(target["id"], fields)
                target.update(fields)
            return
        event = {
            "bill_id": bill_id,
            "stage": claim.stage,
            "event_date": claim.date,
            "source": claim.source,
            "document_id": claim.document_id,
            "url": claim.url,
            "evidence": claim.evidence(),
            "recorded_at": now_iso(),
            "alert": None,
        }
        event["id"] = self.store.insert_bill_event(event)
        events.append(event)
        self.changes.setdefault(bill_id, BillChange()).new_events.append(event)

    # -- bill rows -------------------------------------------------------------------------

    def finish(self) -> None:
        """Write each bill's titles, identifiers, initiator, topics and current stage."""
        for bill_id, bill in self.bills.items():
            if both := contradictions(self.bill_aliases.get(bill_id, ())):
                self.notes.append(
                    f"bill {bill['key']} has {both}: two bills were merged (by an earlier "
                    "version); its timeline may mix them"
                )
            fields: dict[str, Any] = {}
            titles = sorted(self.titles.get(bill_id, []), key=lambda t: (t[0], t[1]))
            replaced = [bill.get("title_ru"), bill.get("title_kk")]
            for lang, column in (("ru", "title_ru"), ("kk", "title_kk")):
                mine = [t for t in titles if (t[2] == lang or (lang == "ru" and t[2] == "en"))]
                if mine and display_title(mine[-1][3]) != bill.get(column):
                    fields[column] = display_title(mine[-1][3])
            bill.update({k: v for k, v in fields.items() if k.startswith("title_")})
            identifiers = self._identifiers(bill_id, titles, replaced)
            if identifiers != bill.get("identifiers"):
                fields["identifiers"] = identifiers
            if bill_id in self.initiators and self.initiators[bill_id] != bill.get("initiator"):
                fields["initiator"] = self.initiators[bill_id]
            topics = sorted(self.topics.get(bill_id, set()))
            if topics != bill.get("topics"):
                fields["topics"] = topics
            now = current(self.events[bill_id])
            stage = (now["stage"], now.get("event_date")) if now else (None, None)
            if stage != (bill.get("stage"), bill.get("stage_date")):
                fields["stage"], fields["stage_date"] = stage
            if fields:
                self.store.update_bill(bill_id, fields)
                bill.update(fields)

    def _identifiers(
        self, bill_id: int, titles: list[tuple[int, str, str, str]], replaced: list[str | None]
    ) -> dict[str, Any]:
        """Identifiers from the aliases, and the other titles the bill has had (a renamed bill
        keeps its former title here even when no document shows it any more)."""
        found: dict[str, Any] = {}
        for kind, value in sorted(self.bill_aliases.get(bill_id, ())):
            if not kind.startswith("title_"):
                found.setdefault(kind, []).append(value)
        shown = {self.bills[bill_id].get("title_ru"), self.bills[bill_id].get("title_kk")}
        best_cores = {title_core(t, self.rules) for t in shown if t}
        known = (self.bills[bill_id].get("identifiers") or {}).get("other_titles", [])
        former: list[str] = []
        for title in [*known, *replaced, *(t[3] for t in titles)]:
            if not title:
                continue
            text = display_title(title)
            if title_core(title, self.rules) not in best_cores and text not in former:
                former.append(text)
        if former:
            found["other_titles"] = former[:5]
        return found
