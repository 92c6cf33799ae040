"""A day's digest gathered from the store: stories by topic, and the chart's counts.

Bills and the source-health line come from kuzet.digest_status. Plain values only:
`kuzet.digest` renders them (templates in `kuzet/templates/`). Every string that came from a
source is cleaned here (`digest_render.clean`, `safe_url`); the HTML template escapes it
again on output.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kuzet import digest_render as r
from kuzet.config import TIMEZONE, TOPICS
from kuzet.digest_chart import TopicSeries, alt_text, display_size
from kuzet.digest_status import (
    BillEntry,
    bills,
    configured_names,
    health_line,
    short_date,
    source_name,
)
from kuzet.documents import local_date
from kuzet.errors import DigestError
from kuzet.settings import Settings
from kuzet.store import Store

TZ = ZoneInfo(TIMEZONE)
HISTORY_DAYS = 30
ALSO_NAMES = 3  # outlets named before "(N more)"


@dataclass
class Story:
    """One story: a document (or a cluster of near-identical ones) flagged that day."""

    cluster_id: int
    doc_id: int
    title: list[r.Segment]
    snippet: list[r.Segment]
    url: str | None
    source_name: str
    date_label: str
    lang: str | None
    lang_name: str
    kind_name: str
    topics: list[str]
    scores: dict[str, float]
    dated_utc: str
    archive: dict[str, str] | None
    also: list[dict[str, Any]] = field(default_factory=list)
    also_more: int = 0
    first_seen_before: str | None = None
    documents_today: int = 1

    @property
    def anchor(self) -> str:
        return f"story-{self.cluster_id}"

    @property
    def title_text(self) -> str:
        return "".join(seg.text for seg in self.title)


@dataclass
class Section:
    """One topic: its stories in order, and how many more were not listed (`more`)."""

    topic: str
    label: str
    documents: int
    #: (story, None) for a story in full; (story, "Hate crime") when it is in full there.
    entries: list[tuple[Story, str | None]] = field(default_factory=list)
    more: int = 0

    @property
    def stories(self) -> int:
        return len(self.entries) + self.more

    @property
    def short(self) -> str:
        return r.SHORT_LABELS[self.topic]


@dataclass
class Digest:
    """Everything the templates show."""

    day: date
    day_label: str
    built_at: str
    partial_day: bool
    sections: list[Section]
    bills: list[BillEntry]
    chart: list[TopicSeries]
    chart_days: list[date]
    chart_alt: str
    stored: int
    unannotated: int
    documents: int
    stories: int
    health: dict[str, Any]
    max_per_topic: int

    @property
    def items(self) -> int:
        return self.stories + len(self.bills)

    @property
    def quiet(self) -> bool:
        return not self.documents and not self.bills

    @property
    def chart_size(self) -> tuple[int, int]:
        return display_size(self.chart)

    @property
    def spikes(self) -> list[TopicSeries]:
        return [s for s in self.chart if s.spike]

    @property
    def subject(self) -> str:
        head = f"Kuzet digest {self.day.isoformat()}"
        if self.quiet:
            return f"{head}: quiet day"
        parts = [f"{self.stories} {'story' if self.stories == 1 else 'stories'}"]
        if self.bills:
            parts.append(f"{len(self.bills)} bill{'s' if len(self.bills) != 1 else ''}")
        spikes = ", ".join(s.label for s in self.spikes)
        return f"{head}: " + ", ".join(parts) + (f" (spike: {spikes})" if spikes else "")


#: The earliest day a digest is built for: Kuzet follows nothing older, and a day much earlier
#: (0001-01-01) cannot even be converted to UTC.
FIRST_DAY = date(2000, 1, 1)


def check_day(day: date) -> date:
    """`day` if a digest can be built for it; a one-line DigestError otherwise (a day before
    FIRST_DAY; a day in the future is refused by `kuzet.digest.run_digest`)."""
    if day < FIRST_DAY:
        raise DigestError(
            f"{day.isoformat()}: no digest for a day before {FIRST_DAY.isoformat()} "
            "(expected YYYY-MM-DD, today or yesterday)"
        )
    return day


def day_bounds(day: date) -> tuple[str, str]:
    """The Asia/Almaty day `day` as a half-open UTC interval of `YYYY-MM-DDTHH:MM:SSZ` strings."""

    def utc(d: date) -> str:
        local = datetime.combine(d, time(0), tzinfo=TZ)
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    try:
        return utc(day), utc(day + timedelta(days=1))
    except OverflowError as exc:  # the first and last days a date can hold
        raise DigestError(f"{day.isoformat()}: no digest for a day this far off") from exc


def day_label(d: date) -> str:
    """`Monday 30 November 2026`."""
    return f"{d.strftime('%A')} {d.day} {d.strftime('%B %Y')}"


def collect(store: Store, day: date, settings: Settings, now: datetime) -> Digest:
    """Read everything the digest of `day` shows."""
    lo, hi = day_bounds(check_day(day))
    docs = store.flagged_first_seen(lo, hi)
    counts = store.first_seen_counts(lo, hi)
    cap = max(1, settings.digest["max_per_topic"])
    names = configured_names()
    stories = _stories(store, docs, lo, settings.digest["archive_url"], names)
    sections = _sections(stories, docs, cap)
    listed = [s for sec in sections for s, ref in sec.entries if ref is None]
    texts = store.document_texts([s.doc_id for s in listed])
    evidence = {d["id"]: [ev for evs in d["evidence"].values() for ev in evs] for d in docs}
    for story in listed:
        story.snippet = r.snippet(texts.get(story.doc_id, ""), evidence.get(story.doc_id, []))
    days, series = _chart(store, day)
    local_now = now.astimezone(TZ)
    return Digest(
        day=day,
        day_label=day_label(day),
        built_at=local_now.strftime("%Y-%m-%d %H:%M"),
        partial_day=day >= local_now.date(),
        sections=sections,
        bills=bills(store, lo, hi, names),
        chart=series,
        chart_days=days,
        chart_alt=alt_text(series, days),
        stored=counts["stored"],
        unannotated=counts["unannotated"],
        documents=len(docs),
        stories=len(stories),
        health=health_line(store, settings, lo, hi, now),
        max_per_topic=cap,
    )


def _stories(
    store: Store,
    docs: list[dict[str, Any]],
    lo: str,
    archive_url: str,
    names: dict[str, str],
) -> dict[int, Story]:
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in docs:
        groups[d["cluster_id"]].append(d)
    members = store.cluster_members(list(groups))
    out = {}
    for cluster_id, group in groups.items():
        rep = min(group, key=lambda d: (-sum(d["scores"].values()), d["dated_utc"] or "", d["id"]))
        topics = [t for t in TOPICS if any(t in d["topics"] for d in group)]
        scores = {
            t: max(d["scores"].get(t, 0.0) for d in group if t in d["topics"]) for t in topics
        }
        lang = rep["lang"] if rep["lang"] in r.LANG_NAMES else None
        published = local_date(rep["published_at"])
        story = Story(
            cluster_id=cluster_id,
            doc_id=rep["id"],
            title=r.title_segments(
                rep["title"], [ev for evs in rep["evidence"].values() for ev in evs]
            ),
            snippet=[],
            url=r.safe_url(rep["url"]),
            source_name=source_name(rep["source"], rep["source_name"], names),
            date_label=short_date(published)
            or f"first seen {short_date(local_date(rep['first_seen_at']))}",
            lang=lang,
            lang_name=r.LANG_NAMES.get(rep["lang"] or "", "language unknown"),
            kind_name=r.KIND_NAMES.get(rep["kind"], r.clean(rep["kind"])),
            topics=topics,
            scores=scores,
            dated_utc=rep["dated_utc"] or "",
            archive=r.archive_link(rep, archive_url),
            documents_today=len(group),
        )
        _also(story, rep, members.get(cluster_id, []), lo, names)
        out[cluster_id] = story
    return out


def _also(
    story: Story,
    rep: dict[str, Any],
    members: list[dict[str, Any]],
    lo: str,
    names: dict[str, str],
) -> None:
    """Name the other outlets of the story (one link each), and an earlier first sighting."""
    seen = {rep["source"]}
    outlets = []
    for m in members:  # oldest first
        if m["id"] == rep["id"] or m["source"] in seen:
            continue
        seen.add(m["source"])
        outlets.append(
            {"name": source_name(m["source"], m["source_name"], names), "url": r.safe_url(m["url"])}
        )
    if len(outlets) > ALSO_NAMES:
        story.also, story.also_more = outlets[: ALSO_NAMES - 1], len(outlets) - (ALSO_NAMES - 1)
    else:
        story.also = outlets
    seen_at = [_moment(m["first_seen_at"]) for m in members if m["first_seen_at"]]
    if seen_at and min(seen_at) < _moment(lo):
        story.first_seen_before = short_date(min(seen_at).astimezone(TZ).date())


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _sections(stories: dict[int, Story], docs: list[dict[str, Any]], cap: int) -> list[Section]:
    """Stories by topic, best first; each in full under its main topic (highest score) and
    referred to under the others."""
    ranked: dict[str, list[Story]] = {}
    for topic in TOPICS:
        on_topic = [s for s in stories.values() if topic in s.topics]
        on_topic.sort(key=lambda s: (s.dated_utc, s.doc_id), reverse=True)
        on_topic.sort(key=lambda s: s.scores[topic], reverse=True)
        ranked[topic] = on_topic
    home: dict[int, str] = {}
    for topic, on_topic in ranked.items():
        for story in on_topic[:cap]:
            main = max(story.topics, key=lambda t: (story.scores[t], -TOPICS.index(t)))
            if main == topic:
                home[story.cluster_id] = topic
    for topic, on_topic in ranked.items():  # a story past the cap of its main topic
        for story in on_topic[:cap]:
            home.setdefault(story.cluster_id, topic)
    sections = []
    for topic, on_topic in ranked.items():
        if not on_topic:
            continue
        n_docs = sum(1 for d in docs if topic in d["topics"])
        section = Section(topic, r.TOPIC_LABELS[topic], n_docs)
        for story in on_topic[:cap]:
            where = home[story.cluster_id]
            section.entries.append((story, None if where == topic else r.SHORT_LABELS[where]))
        section.more = max(0, len(on_topic) - cap)
        sections.append(section)
    return sections


def _chart(store: Store, day: date) -> tuple[list[date], list[TopicSeries]]:
    """Flagged documents per topic and Almaty day, for the day and the 30 days before."""
    start = day - timedelta(days=HISTORY_DAYS)
    days = [start + timedelta(days=i) for i in range(HISTORY_DAYS + 1)]
    counts = {t: [0] * len(days) for t in TOPICS}
    lo, hi = day_bounds(start)[0], day_bounds(day)[1]
    for utc, topic in store.flag_times(lo, hi):
        local = local_date(utc)
        index = (local - start).days if local else -1
        if topic in counts and 0 <= index < len(days):
            counts[topic][index] += 1
    return days, [TopicSeries(t, r.SHORT_LABELS[t], counts[t]) for t in TOPICS]
