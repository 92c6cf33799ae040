"""What news says about bills: which bills an item names, and the stages it reports for them.

A news item never creates a bill; it *names* bills the tracker knows: by adilet id, law or
registration number, a quoted law title, or a distinctive title written out in its text. A
stage phrase in it is claimed for the bill it is about — the one named nearest to the phrase
in the same sentence, or the only bill the item names; never for a bill it does not name, and
not when two bills stand equally near.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kuzet.bill_phrases import SENTENCE_END, phrase_claims, span_of
from kuzet.bill_titles import CoreIndex, distinctive, fold, title_core
from kuzet.bills import Claim, Rules, norm_id

if TYPE_CHECKING:
    from kuzet.bill_tracker import Tracker


@dataclass
class NewsFinding:
    """The bills a news item names (with how) and the stages it reports for them."""

    document: dict[str, Any]
    mentions: dict[int, str] = field(default_factory=dict)
    claims: list[tuple[int, Claim]] = field(default_factory=list)


@dataclass
class TitleIndex:
    """Where the tracker's bills can be found from a news item: ids and title cores."""

    ids: dict[tuple[str, str], list[int]]
    cores: CoreIndex
    #: distinctive cores to look for word for word, by their longest word
    by_word: dict[str, list[Searchable]] = field(default_factory=dict)

    def by_id(self, kind: str, value: str) -> list[int]:
        normal = norm_id(kind, value)
        return self.ids.get((kind, normal), []) if normal else []

    def add_searchable(self, core: str, bill_id: int, rules_: Rules) -> None:
        """Look for this core word for word in news texts (if it is distinctive)."""
        if core.startswith("amend:") or not distinctive(core, rules_):
            return
        words = tuple(core.split())
        found = self.by_word.setdefault(max(words, key=len), [])
        if all((s.core, s.bill_id) != (core, bill_id) for s in found):
            pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)")
            found.append(Searchable(core, bill_id, words, pattern))


@dataclass(frozen=True)
class Searchable:
    """A title core to find word for word: its words (a quick test first) and its pattern."""

    core: str
    bill_id: int
    words: tuple[str, ...]
    pattern: re.Pattern[str]


def scan_news(
    doc: dict[str, Any], refs: list[dict[str, Any]], index: TitleIndex, rules_: Rules
) -> NewsFinding:
    """The bills a news item names, and the stage phrases it reports for them."""
    finding = NewsFinding(document=doc)
    mentions: list[tuple[int, str, int, int]] = []  # bill, field, start, end
    fields = {"title": doc.get("title") or "", "text": doc.get("text") or ""}
    for ref in refs:
        attrs, label = ref["attrs"], ref["label"]
        spot = (ref["field"], ref["start_char"], ref["end_char"])
        hits: list[tuple[int, str]] = []
        if label == "ADILET_ID":
            hits = [
                (b, f"adilet id {attrs['adilet_id']}")
                for b in index.by_id("adilet", attrs["adilet_id"])
            ]
        elif label == "BILL_NUMBER":
            number = attrs.get("number") or ""
            hits = [
                (b, f"number {number}")
                for k in ("number", "registration")
                for b in index.by_id(k, number)
            ]
        elif label == "LAW_TITLE":
            sentence = span_of(
                fields[ref["field"]], ref["start_char"], ref["end_char"], SENTENCE_END
            )
            hits = [
                (b, "law title")
                for b in _title_hits(attrs.get("title") or "", sentence, index, rules_)
            ]
        for bill_id, how in hits:
            mentions.append((bill_id, *spot))
            finding.mentions.setdefault(bill_id, how)
    for name, text in fields.items():
        folded = fold(text)
        words = set(folded.split())
        for word in words & index.by_word.keys():
            for item in index.by_word[word]:
                if not all(w in words for w in item.words):
                    continue
                for m in item.pattern.finditer(folded):
                    mentions.append((item.bill_id, name, m.start(), m.end()))
                    finding.mentions.setdefault(item.bill_id, "title in text")
    if not mentions:
        return finding
    named = {m[0] for m in mentions}
    stages = rules_["news"]["stages"]
    for ref, claim in phrase_claims(doc, refs, rules_, origin="news", stages=stages):
        bill_id = _nearest(ref, mentions, fields, named)
        if bill_id is not None:
            finding.claims.append((bill_id, claim))
    return finding


def _title_hits(title: str, sentence: str, index: TitleIndex, rules_: Rules) -> list[int]:
    """Bills a quoted law title names: same core, or the law an amendment bill amends when the
    sentence speaks of amending it."""
    core = title_core(title, rules_)
    if not core:
        return []
    cue = any(c in sentence.lower() for c in rules_["titles"]["amendment_cues"])
    hits: dict[int, bool] = {}
    for bill_id, other in index.cores.find(core):
        bare_law = other.startswith("amend:") and not core.startswith("amend:")
        hits[bill_id] = hits.get(bill_id, False) or not bare_law or cue
    return sorted(b for b, ok in hits.items() if ok)


def _nearest(
    ref: dict[str, Any],
    mentions: list[tuple[int, str, int, int]],
    fields: dict[str, str],
    named: set[int],
) -> int | None:
    """The bill a stage phrase is about: the nearest one named in its sentence, or the only
    bill the item names; None when that is not clear."""
    text = fields[ref["field"]]
    start, end = ref["start_char"], ref["end_char"]
    left = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in SENTENCE_END.finditer(text, end)), len(text))
    near = [
        (max(0, s - end, start - e), bill_id)
        for bill_id, f, s, e in mentions
        if f == ref["field"] and left <= s < right
    ]
    if near:
        near.sort()
        if len(near) > 1 and near[0][0] == near[1][0] and near[0][1] != near[1][1]:
            return None
        return near[0][1]
    return next(iter(named)) if len(named) == 1 else None


def read_news(tracker: Tracker) -> None:
    """Read the news that may say something new into the tracker; take relevance from all.

    Read: items never read, changed or re-annotated since, and items that name a bill (an
    identifier or title) that appeared since they were read (`bill_news_scans`), so a check that
    finds nothing new does not read every news item again. Then every news item linked to
    exactly one bill lends that bill its flags.
    """
    store, rules_ = tracker.store, tracker.rules
    generation = store.alias_generation()
    candidates = store.news_to_scan()
    full = {
        c["id"]
        for c in candidates
        if c["scanned_version"] is None
        or (c["scanned_version"], c["scanned_rules"]) != (c["version"], c["rules_version"])
    }
    older = [c for c in candidates if c["id"] not in full and c["scanned_aliases"] < generation]
    loaded: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []  # read in full below
    if older:
        fresh = tracker.index(store.bill_aliases_since(min(c["scanned_aliases"] for c in older)))
        ids = [c["id"] for c in older]
        refs = store.news_refs(ids)
        for doc in store.news_documents(ids):
            doc_refs = refs.get(doc["id"], [])
            if scan_news(doc, doc_refs, fresh, rules_).mentions:
                full.add(doc["id"])
                loaded.append((doc, doc_refs))
    tracker.news_read = len(full)
    if full:
        index = tracker.index()
        rest = sorted(full - {doc["id"] for doc, _refs in loaded})
        refs = store.news_refs(rest)
        loaded += [(doc, refs.get(doc["id"], [])) for doc in store.news_documents(rest)]
        loaded.sort(key=lambda item: (item[0]["dated_utc"] or "", item[0]["id"]))  # oldest first
        for doc, doc_refs in loaded:
            tracker.apply_news(scan_news(doc, doc_refs, index, rules_))
    read = {c["id"] for c in older} | full
    store.mark_news_scanned([c for c in candidates if c["id"] in read], generation)
    per_doc: dict[int, list[dict[str, Any]]] = {}
    for link in store.news_links():
        per_doc.setdefault(link["document_id"], []).append(link)
    for doc_id, links in per_doc.items():
        if len(links) == 1 and links[0]["topics"]:
            bill_id = links[0]["bill_id"]
            tracker.topics.setdefault(bill_id, set()).update(links[0]["topics"])
            tracker.relevant_docs.setdefault(bill_id, []).append(doc_id)
