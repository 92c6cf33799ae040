"""Source health: which sources answer, which have gone quiet (stale), from the runs table.

A crawl run is *bad* when it failed or fetched no page at all (no feed, sitemap or listing
answered). A source is *stale* when its last `stale_after_runs` runs (setting
`[operations] stale_after_runs`) were all bad. A run that found nothing new is not bad: an
unchanged feed answering `304 Not Modified` is a healthy source.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kuzet.config import load_sources
from kuzet.settings import Settings, load_settings
from kuzet.store import Store


@dataclass
class SourceHealth:
    """One source's recent record."""

    source: str
    name: str
    enabled: bool
    last_run: dict[str, Any] | None
    bad_in_a_row: int
    stale: bool
    #: Documents first stored in the last 7 days (by when Kuzet stored them).
    docs_7d: int
    #: When the current streak of bad crawls began (its first run's start), if any.
    bad_since: str | None = None
    #: Id of the first run of that streak: it names the incident (ops e-mails are keyed on it).
    bad_since_run: int | None = None

    @property
    def status(self) -> str:
        """`stale`, `failing` (bad but not yet stale), `ok`, or `never run`."""
        if self.last_run is None:
            return "never run"
        if self.stale:
            return "stale"
        return "failing" if self.bad_in_a_row else "ok"


def is_bad(run: dict[str, Any]) -> bool:
    """True for a crawl run that failed, or where nothing answered (no page, no method).

    A feed answering `304 Not Modified` fetches no page but did answer (`method` is set).
    """
    return run["status"] == "failed" or not (run["pages"] or run["method"])


def source_health(
    store: Store,
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
    sources: Collection[str] | None = None,
) -> list[SourceHealth]:
    """Every configured source (and any other source with crawl runs), in config order; only
    those in `sources` when given."""
    settings = settings or load_settings()
    limit = max(1, settings.operations["stale_after_runs"])
    now = now or datetime.now(UTC)
    week_ago = (now - timedelta(days=7)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    runs = store.recent_runs("crawl", per_source=limit)
    docs = store.documents_per_source(week_ago)
    config = load_sources().sources
    names = {sid: (s.name or sid, s.enabled) for sid, s in config.items()}
    names |= {sid: (sid, True) for sid in runs if sid not in names}
    if sources is not None:
        names = {sid: value for sid, value in names.items() if sid in sources}
    out = []
    for sid, (name, enabled) in names.items():
        recent = runs.get(sid, [])
        bad = 0
        for run in recent:
            if not is_bad(run):
                break
            bad += 1
        # the window holds `limit` runs; a longer streak began before it
        first = store.bad_streak_start(sid) if bad else None
        if first is not None and bad >= limit:
            bad = store.count_runs_since(sid, first["id"])
        out.append(
            SourceHealth(
                source=sid,
                name=name,
                enabled=enabled,
                last_run=recent[0] if recent else None,
                bad_in_a_row=bad,
                stale=bad >= limit,
                docs_7d=docs.get(sid, 0),
                bad_since=first["started_at"] if first else None,
                bad_since_run=first["id"] if first else None,
            )
        )
    return out
