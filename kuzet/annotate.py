"""`kuzet annotate` and `kuzet classify`: run the NLP stage over stored documents or a text."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kuzet import clusters
from kuzet.errors import RulesError
from kuzet.store import Store

if TYPE_CHECKING:
    from nlp.rules import RuleSet

log = logging.getLogger(__name__)
BATCH = 100


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
) -> AnnotateReport:
    """Annotate every document not yet annotated under the current rules version.

    Works in batches of BATCH documents, each saved in its own transaction, so an interrupted
    run keeps what it finished and the next run carries on. After each batch its documents
    are placed in story clusters (kuzet.clusters), so the digest and `search --fold` can
    fold near-identical articles.
    """
    version = rules_version()
    report = AnnotateReport(rules_version=version)
    run_id = store.start_run("annotate")
    after_id = 0
    try:
        while limit is None or report.annotated < limit:
            size = BATCH if limit is None else min(BATCH, limit - report.annotated)
            docs = store.documents_to_annotate(version, limit=size, since=since, after_id=after_id)
            if not docs:
                break
            after_id = docs[-1]["id"]
            batch = [_annotate_one(doc) for doc in docs]
            store.save_annotations(version, batch)
            clusters.assign(store, [doc["id"] for doc in docs])
            for result in batch:
                for topic in result["flagged"]:
                    report.flagged[topic] = report.flagged.get(topic, 0) + 1
            report.annotated += len(batch)
            if progress:
                progress(len(batch))
        if limit is None:
            clusters.cluster_pending(store)  # e.g. documents annotated before clusters existed
    except BaseException as exc:
        store.finish_run(
            run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:500], pages=report.annotated
        )
        raise
    store.finish_run(run_id, "ok", pages=report.annotated, message=f"rules {version}")
    return report


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
