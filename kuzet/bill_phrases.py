"""Stage phrases in a page's or a news item's text, as stage claims with their dates.

The NLP stage finds STAGE phrases (`nlp.components.legal`); here each one becomes a `Claim`
unless its clause speaks of a plan, a condition or a provision (`hedged`), dated by the
nearest full date in its clause or sentence. Used for legislation pages (`kuzet.bill_sources`)
and news (`kuzet.bill_news`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kuzet.bills import Claim, Rules
from kuzet.documents import local_date as local_day
from nlp.dates import find_dates

SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")
_DATE_CLAUSE_END = re.compile(r"[,;:]")
_CLAUSE_END = re.compile(r"[.!?…;,:](?=\s)|\n|\s[—–-]\s")


def local_date(value: str | None) -> str | None:
    """The Asia/Almaty calendar date (YYYY-MM-DD) of an ISO timestamp or date; None if
    `value` is neither (`kuzet.documents.local_date`, written as bills store dates)."""
    day = local_day(value)
    return day.isoformat() if day else None


def span_of(text: str, start: int, end: int, pattern: re.Pattern[str]) -> str:
    """The clause or sentence around text[start:end]."""
    left = max((m.end() for m in pattern.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in pattern.finditer(text, end)), len(text))
    return " ".join(text[left:right].split())


def _phrase_date(text: str, start: int, end: int, others: list[tuple[int, int]]) -> str | None:
    """The full date of a stage phrase: the nearest in its clause, else the nearest in its
    sentence when no other stage phrase shares that sentence. (A line of a list is a sentence:
    «21.09.2026 — внесён в Курултай;» takes its own date, not the next line's; in «одобрил в
    первом чтении X, а Y принят во втором чтении 19 октября» the date is the second's.)"""
    left = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in SENTENCE_END.finditer(text, end)), len(text))
    dates = [(s + left, e + left, day) for s, e, day in find_dates(text[left:right])]
    if not dates:
        return None
    cuts = [
        m.start()
        for m in _DATE_CLAUSE_END.finditer(text, left, right)
        if not any(s <= m.start() < e for s, e, _d in dates)
    ]
    lo = max((c for c in cuts if c < start), default=left)
    hi = min((c for c in cuts if c >= end), default=right)
    near = [d for d in dates if lo <= d[0] < hi] or (
        dates if not any(left <= s < right and (s, e) != (start, end) for s, e in others) else []
    )
    if not near:
        return None
    return min(near, key=lambda d: max(0, d[0] - end, start - d[1]))[2].isoformat()


def hedged(clause: str, rules_: Rules) -> bool:
    """True if a stage phrase's clause speaks of a plan, a condition or a provision."""
    lowered = f" {clause.lower()} "
    return any(h in lowered for h in rules_["news"]["hedges"])


def phrase_claims(
    doc: dict[str, Any], refs: Iterable[dict[str, Any]], rules_: Rules, *, origin: str,
    stages: Iterable[str] | None = None,
) -> list[tuple[dict[str, Any], Claim]]:  # fmt: skip
    """Stage claims from the document's STAGE phrases (not hedged), with the ref they came from."""
    allowed = set(stages) if stages is not None else None
    refs = list(refs)
    found = []
    for ref in refs:
        if ref["label"] != "STAGE":
            continue
        stage = ref["attrs"].get("stage")
        if not stage or (allowed is not None and stage not in allowed):
            continue
        text = (doc.get("title") if ref["field"] == "title" else doc.get("text")) or ""
        clause = span_of(text, ref["start_char"], ref["end_char"], _CLAUSE_END)
        if hedged(clause, rules_):
            continue
        others = [
            (r["start_char"], r["end_char"])
            for r in refs
            if r["label"] == "STAGE" and r["field"] == ref["field"]
        ]
        when = _phrase_date(text, ref["start_char"], ref["end_char"], others)
        basis = "phrase" if when else ("reported" if origin == "news" else "phrase")
        if origin == "news" and not when:
            when = local_date(doc.get("published_at") or doc.get("dated_utc"))
        claim = Claim(
            stage=stage,
            date=when,
            source=doc["source"],
            document_id=doc["id"],
            url=doc["url"],
            origin=origin,
            basis=basis,
            phrase=ref["text"],
            sentence=span_of(text, ref["start_char"], ref["end_char"], SENTENCE_END),
        )
        found.append((ref, claim))
    return found
