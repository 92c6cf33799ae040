"""Turning scraped text into safe digest pieces, and the digest into HTML and plain text.

Everything a source wrote (titles, text, names, URLs, run messages) passes through here:
`clean` drops control and bidirectional-override characters and folds whitespace (so a title
cannot forge lines of the plain-text part), `safe_url` keeps only absolute http(s) links (a
`javascript:` or `data:` link becomes no link at all), and the HTML template is rendered by
Jinja2 with autoescaping on, so `<script>` in a title is shown as text, never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

#: Display names of the topics, in digest order.
TOPIC_LABELS = {
    "sogi": "Sexual orientation and gender identity (SOGI)",
    "hate_crime": "Hate crime",
    "anti_discrimination": "Anti-discrimination",
}
SHORT_LABELS = {
    "sogi": "SOGI",
    "hate_crime": "Hate crime",
    "anti_discrimination": "Anti-discrimination",
}
LANG_NAMES = {"ru": "Russian", "kk": "Kazakh", "en": "English"}
KIND_NAMES = {"news": "news", "law": "law", "draft": "draft regulation", "bill_page": "bill page"}
#: Bill stages (issue 5's vocabulary) in words; an unknown stage is shown with spaces.
STAGE_NAMES = {
    "draft_published": "draft published",
    "public_discussion": "public discussion",
    "introduced": "introduced",
    "committee": "in committee",
    "first_reading": "approved in first reading",
    "second_reading": "approved in second reading",
    "third_reading": "approved in third reading",
    "adopted": "adopted",
    "senate_approved": "approved by the Senate",
    "returned": "returned",
    "sent_to_president": "sent to the President",
    "signed": "signed into law",
    "published": "officially published",
    "in_force": "in force",
    "withdrawn": "withdrawn",
    "rejected": "rejected",
}

SNIPPET_CHARS, LEAD_CHARS = 320, 240
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_URL_BAD = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\`]")
_SENTENCE_END = re.compile(r"[.!?…][\"»”]?\s+|\n")


@dataclass
class Segment:
    """A piece of a snippet or title; `hl` marks an evidence term."""

    text: str
    hl: bool = False


def clean(value: Any) -> str:
    """Scraped text fit to show on one line: no control or bidi-override characters, whitespace
    folded to single spaces."""
    return " ".join(_CONTROL.sub(" ", str(value or "")).split())


def safe_url(value: Any) -> str | None:
    """`value` if it is an absolute http(s) URL without spaces, quotes or control characters."""
    url = str(value or "").strip()
    if not url or _URL_BAD.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def archive_link(doc: dict[str, Any], template: str) -> dict[str, str] | None:
    """Where to see the archived copy: a URL from the `[digest] archive_url` template, or the
    command that prints it; None for documents without an archived response (imported)."""
    if not doc.get("warc_file"):
        return None
    command = f"kuzet archive show {int(doc['id'])}"
    if template:
        url = safe_url(
            template.format(
                id=int(doc["id"]),
                version=int(doc.get("version") or 1),
                warc_file=quote(str(doc["warc_file"])),
                warc_offset=int(doc.get("warc_offset") or 0),
                url=quote(str(doc.get("url") or ""), safe=""),
            )
        )
        if url:
            return {"url": url, "command": command}
    return {"url": "", "command": command}


# -- evidence and snippets ---------------------------------------------------------------


def _spans(evidence: list[dict[str, Any]], field: str, text: str) -> list[tuple[int, int, float]]:
    """(start, end, weight) of each evidence term in `text`, checked against the text.

    An offset that no longer points at the term (the text changed) is looked up by the term.
    """
    out = []
    for ev in evidence:
        if ev.get("field", "text") != field:
            continue
        term = str(ev.get("text") or "")
        try:
            start, end = int(ev.get("start", -1)), int(ev.get("end", -1))
        except (TypeError, ValueError):
            start, end = -1, -1
        if not (0 <= start < end <= len(text)) or (
            term and text[start:end].casefold() != term.casefold()
        ):
            start = text.casefold().find(term.casefold()) if term else -1
            end = start + len(term)
        if start >= 0 and end > start:
            out.append((start, end, float(ev.get("weight") or 0)))
    return out


def _segments(text: str, lo: int, hi: int, spans: list[tuple[int, int, float]]) -> list[Segment]:
    """`text[lo:hi]` cut into plain and highlighted pieces (overlapping spans merged)."""
    inside = sorted((max(s, lo), min(e, hi)) for s, e, _ in spans if s < hi and e > lo)
    merged: list[list[int]] = []
    for s, e in inside:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], lo
    for s, e in merged:
        if s > pos:
            out.append(Segment(text[pos:s]))
        out.append(Segment(text[s:e], True))
        pos = e
    if pos < hi:
        out.append(Segment(text[pos:hi]))
    return _tidy(out)


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Clean each piece, keeping single spaces at the joins."""
    out = []
    for seg in segments:
        raw = _CONTROL.sub(" ", seg.text)
        body = " ".join(raw.split())
        if not body:
            if out and not out[-1].text.endswith(" "):
                out[-1].text += " "
            continue
        lead = " " if raw[:1].isspace() and out else ""
        trail = " " if raw[-1:].isspace() else ""
        out.append(Segment(lead + body + trail, seg.hl))
    return out


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """A snippet window around [start, end): its sentence, widened or cut to SNIPPET_CHARS."""
    lo = max(0, start - SNIPPET_CHARS // 2)
    for m in _SENTENCE_END.finditer(text, lo, start):
        lo = m.end()
    hi = min(len(text), lo + SNIPPET_CHARS)
    if end > hi:  # a long sentence: centre the term instead
        lo = max(0, start - SNIPPET_CHARS // 3)
        hi = min(len(text), lo + SNIPPET_CHARS)
    stop = _SENTENCE_END.search(text, end, hi)
    if stop and stop.start() + 1 - lo >= SNIPPET_CHARS // 2:
        hi = stop.start() + 1
    elif hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space > end else hi
    if lo > 0 and not text[lo - 1].isspace() and text[lo - 1] not in ".!?…\n":
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    return lo, hi


def snippet(text: str, evidence: list[dict[str, Any]]) -> list[Segment]:
    """The sentence around the strongest evidence in the text, evidence terms highlighted; the
    text's opening when all evidence is in the title."""
    text = text or ""
    spans = _spans(evidence, "text", text)
    if spans:
        best = max(spans, key=lambda s: (s[2], -s[0]))
        lo, hi = _window(text, best[0], best[1])
    else:
        lo, hi = 0, min(len(text), LEAD_CHARS)
        if hi < len(text):
            space = text.rfind(" ", 0, hi)
            hi = space if space > LEAD_CHARS // 2 else hi
    segs = _segments(text, lo, hi, spans)
    if segs and lo > 0:
        segs.insert(0, Segment("… "))
    if segs and hi < len(text):
        segs.append(Segment(" …"))
    return segs


def title_segments(title: str, evidence: list[dict[str, Any]]) -> list[Segment]:
    """The title with evidence terms found in it highlighted."""
    title = title or ""
    return _segments(title, 0, len(title), _spans(evidence, "title", title)) or [
        Segment("(untitled)")
    ]


def plain(segments: list[Segment]) -> str:
    """Segments as plain text, evidence terms between asterisks."""
    return "".join(f"*{s.text.strip()}*" if s.hl else s.text for s in segments).strip()


# -- templates ---------------------------------------------------------------------------

_ENV = Environment(
    loader=PackageLoader("kuzet", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["plain"] = plain
_ENV.filters["clean"] = clean
_ENV.globals["short"] = SHORT_LABELS


def render(name: str, **context: Any) -> str:
    """Render `templates/<name>` (HTML ones with autoescaping)."""
    return _ENV.get_template(name).render(**context)
