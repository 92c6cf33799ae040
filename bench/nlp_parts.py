"""Where the annotate step's time goes: CPU seconds of each part, in one process.

    python bench/nlp_parts.py DB      (DB: a database of documents not yet annotated; it is
                                       annotated in place, so pass a copy)

Prints one JSON object: `{"parts": {name: cpu_seconds}, "total": cpu_seconds, "docs": N}`.
`bench/nlp_speed.py` runs it on a copy of its Russian documents and prints the parts per token
against the budget the 3x target leaves. Each part is timed by wrapping it (a clock read before
and after each call), which adds a little to every part; the total is measured the same way as
the benchmark's own annotate figure, so "other" (reading documents, building results, the
wrappers themselves) is what the named parts leave.

Parts: language identification (`nlp.langid.segments`), the tokenizer (`make_doc`), each
pipeline component (normaliser, sentences, topics with their scoring, legal references), story
clustering (`kuzet.clusters.assign`) and the database writes (`Store.save_annotations`, which
also fires the full-text index trigger).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from kuzet.store import Store

SPENT: Counter[str] = Counter()


def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func`, adding the CPU time of each call to SPENT[name]."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            SPENT[name] += time.process_time() - start

    return wrapper


class TimedComponent:
    """A pipeline component whose calls are timed; other attributes pass through."""

    def __init__(self, name: str, component: Any) -> None:
        self._name, self._component = name, component
        self._call = timed(name, component)

    def __call__(self, doc: Any) -> Any:
        return self._call(doc)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._component, attr)


def instrument() -> None:
    """Wrap every part named in the module docstring (all three languages' pipelines)."""
    from kuzet import annotate, clusters
    from nlp import langid, pipeline

    langid.segments = timed("language identification", langid.segments)
    annotate.clusters.assign = timed("story clusters", clusters.assign)
    Store.save_annotations = timed("database writes", Store.save_annotations)  # type: ignore[method-assign]
    for lang in langid.LANGS:
        nlp = pipeline.build_nlp(lang)
        nlp.make_doc = timed("tokenizer", nlp.make_doc)  # type: ignore[method-assign]
        for index, (name, component) in enumerate(nlp._components):
            label = name.removeprefix("kuzet_").replace("_", " ")
            nlp._components[index] = (name, TimedComponent(label, component))


def main(db: str) -> None:
    from kuzet.annotate import annotate
    from nlp.pipeline import analyze, warm_up

    warm_up()
    analyze("Депутаты Мажилиса одобрили закон. Мәжіліс заңды қабылдады. The bill passed.")
    instrument()
    SPENT.clear()
    with Store.open(db, create=False) as store:
        start = time.process_time()
        report = annotate(store, workers=1)
        total = time.process_time() - start
    print(json.dumps({"parts": dict(SPENT), "total": total, "docs": report.annotated}))


if __name__ == "__main__":
    main(sys.argv[1])
