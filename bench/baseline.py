"""Plain keyword baseline for the topic flags: stem regexes, no lemmas, proximity or exclusions.

A text is flagged with a topic when any of the topic's patterns occurs in it at least once
(MIN_HITS). The patterns are the obvious words for each topic in ru, kk and en, written once
and not tuned to the dev corpus: this is the yardstick the real classifier has to beat.
    python bench/baseline.py [CORPUS]   (default /work/shared/corpus/dev.jsonl)
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

from kuzet.evaluate import TOPICS, Item, macro_f1, prf, read_corpus

DEFAULT_CORPUS = Path("/work/shared/corpus/dev.jsonl")
MIN_HITS = 1
# Each entry is a regex matched case-insensitively from the start of a word (\b in front).
KEYWORDS: dict[str, list[str]] = {
    "sogi": [
        r"ЛГБТ",
        r"LGBT",
        r"гей",
        r"gay",
        r"лесби",
        r"trans(?:gender|sexual)",
        r"трансгендер",
        r"транссексуал",
        r"гомосексу",
        r"homosexu",
        r"same-sex",
        r"однопол",
        r"бір жынысты",
        r"сексуальн\w* ориентац",
        r"sexual orientation",
        r"gender identity",
        r"гендерн\w* идентичн",
        r"жыныстық бағдар",
    ],
    "hate_crime": [
        r"ненавист",
        r"hate",
        r"розн",
        r"алауыздық",
        r"расизм",
        r"расист",
        r"racis",
        r"нәсілшіл",
        r"ксенофоб",
        r"xenophob",
        r"погром",
        r"pogrom",
        r"өшпенділі",
        r"174\b",
    ],
    "anti_discrimination": [
        r"дискримин",
        r"discrimin",
        r"кемсіт",
        r"равн\w+ прав",
        r"equal rights",
        r"equal opportunit",
        r"равн\w+ возможност",
        r"теңдік",
        r"gender equality",
        r"гендерн\w+ равенств",
    ],
}
PATTERNS = {
    topic: re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE)
    for topic, words in KEYWORDS.items()
}


def classify(text: str, min_hits: int = MIN_HITS) -> set[str]:
    """The topics whose keywords occur in `text` at least `min_hits` times."""
    return {
        topic
        for topic, pattern in PATTERNS.items()
        if next(itertools.islice(pattern.finditer(text), min_hits - 1, None), None)
    }


def score(path: Path, min_hits: int = MIN_HITS) -> tuple[list[Item], list[str]]:
    """Items of the corpus at `path` with the baseline's predictions, and unreadable lines."""
    records, errors = read_corpus(path)
    items = []
    for number, obj in enumerate(records, 1):
        title = obj.get("title") or ""
        text = f"{title}\n\n{obj['text']}" if title else obj["text"]
        items.append(
            Item(
                id=str(obj.get("id", number)),
                lang=obj.get("lang") or "?",
                labels=set(obj.get("labels", [])),
                predicted=classify(text, min_hits),
                title=title,
            )
        )
    return items, errors


def table(items: list[Item]) -> str:
    """Per-topic precision, recall and F1, macro-F1 overall and per language."""
    lines = [f"{'topic':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"]
    for topic in TOPICS:
        s = prf(items, topic)
        lines.append(
            f"{topic:<22}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}{s['support']:>9}"
        )
    lines.append(f"{'macro-F1':<22}{macro_f1(items):>32.3f}")
    for lang in sorted({i.lang for i in items}):
        subset = [i for i in items if i.lang == lang]
        lines.append(f"{f'  {lang} macro-F1 (n={len(subset)})':<22}{macro_f1(subset):>32.3f}")
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    items, errors = score(path)
    for error in errors:
        print(f"skipped: {error}", file=sys.stderr)
    print(f"== keyword baseline (any pattern >= {MIN_HITS}x) on {path}: {len(items)} items ==")
    print(table(items))


if __name__ == "__main__":
    main()
