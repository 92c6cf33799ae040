"""Running crawls (in a subprocess) and checking sources: the library behind `kuzet crawl`
and `kuzet sources`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuzet.config import load_sources
from kuzet.errors import CrawlError
from kuzet.sample_server import SampleServer, check_step
from kuzet.store import Store

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlReport:
    """The runs rows one crawl wrote, one per source."""

    runs: list[dict[str, Any]]
    returncode: int


def crawl(
    db: Path,
    names: tuple[str, ...] = (),
    *,
    sample: bool = False,
    log_level: str = "WARNING",
    step: int = 0,
) -> CrawlReport:
    """Crawl the named sources (or every enabled one) into `db`, in a subprocess.

    With `sample`, a sample server is started on a free loopback port for the crawl and every
    request goes to it; `step` (sample only) serves the sites as they are at that step of the
    bill sequence. Returns the runs rows written.
    """
    load_sources().select(list(names))  # fail early, in one line, on unknown names
    if step and not sample:
        raise CrawlError("--step needs --sample: steps exist only in the offline sample")
    try:
        check_step(step)
    except ValueError as exc:
        raise CrawlError(str(exc)) from exc
    with Store.open(db) as store:
        before = max((r["id"] for r in store.run_rows()), default=0)
    server = SampleServer(step=step) if sample else nullcontext(None)
    with server as proxy:
        cmd = [sys.executable, "-m", "crawler.run", "--db", str(db), "--log-level", log_level]
        cmd += [*(["--sample-proxy", proxy] if proxy else []), *names]
        result = subprocess.run(cmd, cwd=ROOT, env=_env(), check=False)
    with Store.open(db) as store:
        runs = store.run_rows(since_id=before)
    if result.returncode != 0 and not runs:
        raise CrawlError(f"the crawl process failed (exit status {result.returncode})")
    return CrawlReport(runs, result.returncode)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def sources_overview(db: Path | None) -> list[dict[str, Any]]:
    """Every configured source with its latest crawl run (if the database has one)."""
    config = load_sources()
    last: dict[str, dict[str, Any]] = {}
    if db is not None and db.exists():
        with Store.open(db, create=False) as store:
            last = store.last_runs("crawl")
    return [{"source": s, "last_run": last.get(s.id)} for s in config.sources.values()]


@contextmanager
def sample_server(port: int = 0, step: int = 0) -> Iterator[str]:
    """A running sample server (at `step` of the bill sequence); yields its base URL."""
    try:
        server = SampleServer(port, step=step)
    except ValueError as exc:
        raise CrawlError(str(exc)) from exc
    with server as url:
        yield url
