"""`kuzet annotate` and `kuzet classify`: run the NLP stage over stored documents or a text."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kuzet import clusters
from kuzet.errors import RulesError
from kuzet.store import Store

if TYPE_CHECKING:
    from nlp.rules import RuleSet

log = logging.getLogger(__name__)
#: Documents per batch analysed (the unit of work of a worker process).
BATCH = 100
#: Analysed documents saved and clustered per transaction: each commit writes the full-text
#: index a new segment (merged with others later), so fewer, larger ones cost less.
SAVE_BATCH = 500
#: Runs of this many documents or more are analysed in worker processes (see auto_workers).
PARALLEL_MIN = 400
MAX_WORKERS = 2
#: Worker processes are replaced after this many batches each (their memory grows with the
#: vocabulary they meet; the parent's, which analyses nothing, does not).
POOL_BATCHES = 10


@dataclass
class AnnotateReport:
    """What an annotate run did."""

    rules_version: str
    annotated: int = 0
    flagged: dict[str, int] = field(default_factory=dict)


def classify(text: str, lang: str | None = None) -> dict[str, Any]:
    """Topics, scores, evidence and legal references of one text, as JSON-ready values."""
    from nlp.pipeline import analyze

    check_rules()
    result = analyze(text, lang)
    return {
        "lang": result.lang,
        "flagged": result.flagged,
        "topics": result.topics,
        "legal": result.legal,
    }


def rules_version() -> str:
    """Version (hash) of the rule files the NLP stage would use now."""
    return check_rules().version


def check_rules() -> RuleSet:
    """The topic rules the NLP stage uses (loaded once); a broken rule file is a RulesError
    naming the file and line."""
    from nlp.pipeline import ruleset
    from nlp.rules import RuleError

    try:
        return ruleset()
    except RuleError as exc:
        raise RulesError(str(exc)) from exc


def annotate(
    store: Store,
    *,
    limit: int | None = None,
    since: str | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> AnnotateReport:
    """Annotate every document not yet annotated under the current rules version.

    Documents are analysed in batches of BATCH and saved about SAVE_BATCH at a time, each
    save in its own transaction, so an interrupted run keeps what it saved and the next run
    carries on. With `workers` > 1 the batches are analysed in that many worker processes
    while this one reads and writes the database; they are still saved in order.
    `workers=None` picks `auto_workers` for the run's size. After each save its documents are
    placed in story clusters (kuzet.clusters), so the digest and `search --fold` can fold
    near-identical articles.
    """
    version = rules_version()
    report = AnnotateReport(rules_version=version)
    if workers is None:
        workers = auto_workers(pending_count(store, limit=limit, since=since))
    run_id = store.start_run("annotate")
    try:
        with collector_held_back():
            batches = _batches(store, version, limit=limit, since=since)
            for results in _grouped(_analysed(batches, workers), SAVE_BATCH):
                store.save_annotations(version, results)
                clusters.assign(store, [result["id"] for result in results])
                for result in results:
                    for topic in result["flagged"]:
                        report.flagged[topic] = report.flagged.get(topic, 0) + 1
                report.annotated += len(results)
                if progress:
                    progress(len(results))
            if limit is None:
                clusters.cluster_pending(store)  # e.g. documents annotated before clusters
    except BaseException as exc:
        store.finish_run(
            run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:500], pages=report.annotated
        )
        raise
    store.finish_run(run_id, "ok", pages=report.annotated, message=f"rules {version}")
    return report


def _grouped(batches: Iterator[list[dict[str, Any]]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive batches joined into groups of `size` items or more (the last one may be
    smaller), in order."""
    group: list[dict[str, Any]] = []
    for batch in batches:
        group += batch
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def auto_workers(pending: int) -> int:
    """Worker processes for a run of `pending` documents: one for small runs; for PARALLEL_MIN
    documents or more, one per CPU up to MAX_WORKERS (each holds its own pipelines and
    caches, about 150-200 MB)."""
    if pending < PARALLEL_MIN:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _batches(
    store: Store, version: str, *, limit: int | None, since: str | None
) -> Iterator[list[dict[str, Any]]]:
    """Documents to annotate, BATCH at a time, by id (read as they are needed)."""
    after_id, taken = 0, 0
    while limit is None or taken < limit:
        size = BATCH if limit is None else min(BATCH, limit - taken)
        docs = store.documents_to_annotate(version, limit=size, since=since, after_id=after_id)
        if not docs:
            return
        after_id, taken = docs[-1]["id"], taken + len(docs)
        yield docs


def _analysed(
    batches: Iterator[list[dict[str, Any]]], workers: int
) -> Iterator[list[dict[str, Any]]]:
    """Each batch's results, in order: here, or in `workers` processes (a few batches ahead)."""
    if workers <= 1:
        for docs in batches:
            yield _annotate_batch(docs)
        return
    pool: ProcessPoolExecutor | None = None
    pending: deque[Future[list[dict[str, Any]]]] = deque()
    submitted = 0
    try:
        for docs in batches:
            if pool is None or submitted == POOL_BATCHES * workers:
                # a fresh set of workers every so often: each keeps a lexeme and cache entries
                # for every word form it meets, so long runs would otherwise grow without end
                while pending:
                    yield pending.popleft().result()
                if pool is not None:
                    pool.shutdown()
                pool, submitted = _pool(workers), 0
            pending.append(pool.submit(_annotate_batch, docs))
            submitted += 1
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes. Where processes can be forked (Linux) and this process runs a single
    thread, the pipelines are loaded here first, so that the workers start with them (shared
    until written to) instead of each loading its own. In a process with other threads (the
    scheduler), forking could copy a lock another thread holds: workers are spawned fresh and
    each loads the pipelines on first use."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        from nlp.pipeline import warm_up

        warm_up()
        if not gc.isenabled():  # held back (collector_held_back): the pipelines just loaded
            gc.freeze()  # join the frozen objects, which forked workers never collect (copy)
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@contextmanager
def collector_held_back() -> Iterator[None]:
    """Python's cyclic garbage collector held back while documents are annotated.

    Analysing text allocates many short-lived containers (matches, spans, evidence), and
    every few hundred allocations the collector walks the young ones, and now and then all
    the objects the process holds, the loaded pipelines and dictionaries among them: about
    a quarter of the CPU time of an annotate run, for nothing, since the analysis makes no
    reference cycles (reference counting frees its objects). So, for the run, the objects
    alive at its start are frozen (`gc.freeze`: left out of every collection, and shared
    with forked worker processes rather than copied), automatic collection is off, and
    `_annotate_batch` collects once per batch instead, then freezes what survived (the
    pipelines, loaded on first use, and the caches), so each pass walks one batch's objects
    only, and a cycle made somewhere still goes within a batch. Afterwards the frozen objects
    rejoin the rest and automatic collection is back on if it was on before (the process may
    be the scheduler, whose other threads keep running meanwhile).
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _annotate_batch(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = [_annotate_one(doc) for doc in docs]
    if not gc.isenabled():  # held back (collector_held_back): one pass now, survivors aside
        gc.collect()
        gc.freeze()
    return results


def pending_count(store: Store, *, limit: int | None = None, since: str | None = None) -> int:
    """How many documents `annotate` would process now."""
    count = store.count_to_annotate(rules_version(), since=since)
    return count if limit is None else min(limit, count)


def _annotate_one(doc: dict[str, Any]) -> dict[str, Any]:
    from nlp.pipeline import analyze

    title, text = doc["title"] or "", doc["text"] or ""
    prefix = len(title) + 2 if title else 0
    result = analyze(f"{title}\n\n{text}" if title else text, doc["lang"])
    topics = {
        label: {
            **value,
            "evidence": [
                _locate(ev, "start", "end", prefix, len(title)) for ev in value["evidence"]
            ],
        }
        for label, value in result.topics.items()
    }
    legal = [_locate(ref, "start_char", "end_char", prefix, len(title)) for ref in result.legal]
    return {
        "id": doc["id"],
        "version": doc["version"],
        "lang": result.lang,
        "lemmas": result.lemmas,
        "topics": topics,
        "legal": legal,
        "flagged": result.flagged,
    }


def _locate(
    item: dict[str, Any], start_key: str, end_key: str, prefix: int, title_len: int
) -> dict[str, Any]:
    """Offsets into `title + "\\n\\n" + text` -> a `field` and offsets within that field."""
    located = dict(item)
    if prefix and item[start_key] < title_len:
        located["field"] = "title"
    else:
        located["field"] = "text"
        located[start_key] = max(0, item[start_key] - prefix)
        located[end_key] = max(0, item[end_key] - prefix)
    return located
