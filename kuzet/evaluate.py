"""`kuzet eval`: precision, recall and F1 of the topic flags against a labelled corpus."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kuzet.errors import KuzetError

TOPICS = ("sogi", "hate_crime", "anti_discrimination")


@dataclass
class Item:
    """One labelled text and what the classifier said of it."""

    id: str
    lang: str
    labels: set[str]
    predicted: set[str] = field(default_factory=set)
    topics: dict[str, Any] = field(default_factory=dict)
    title: str = ""


@dataclass
class Report:
    """Scores over a corpus, plus the lines that could not be read."""

    items: list[Item]
    errors: list[str]

    def summary(self) -> dict[str, Any]:
        """The `--json` object: n, macro_f1, per-topic and per-language scores."""
        by_lang = {}
        for lang in sorted({i.lang for i in self.items}):
            subset = [i for i in self.items if i.lang == lang]
            by_lang[lang] = {
                "macro_f1": macro_f1(subset),
                "n": len(subset),
                "topics": {t: prf(subset, t) for t in TOPICS},
            }
        return {
            "n": len(self.items),
            "macro_f1": macro_f1(self.items),
            "topics": {t: prf(self.items, t) for t in TOPICS},
            "by_lang": by_lang,
            "errors": self.errors,
        }


def prf(items: Iterable[Item], topic: str) -> dict[str, float | int]:
    """Precision, recall, F1 and support of one topic."""
    tp = fp = fn = 0
    for item in items:
        gold, pred = topic in item.labels, topic in item.predicted
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "support": tp + fn,
    }


def macro_f1(items: list[Item]) -> float:
    """Mean F1 over the topics that occur (in gold or predictions) among `items`."""
    present = [t for t in TOPICS if any(t in i.labels or t in i.predicted for i in items)]
    if not present:
        return 1.0
    return round(sum(prf(items, t)["f1"] for t in present) / len(present), 3)


def read_corpus(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Records of a labelled JSON Lines file, and one message per bad line."""
    if not path.is_file():
        raise KuzetError(f"cannot read {path}: no such file")
    records, errors = [], []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError("expected an object with a 'text' string")
            labels = obj.get("labels", [])
            if not isinstance(labels, list) or not set(labels) <= set(TOPICS):
                raise ValueError(f"'labels' must be a list drawn from {', '.join(TOPICS)}")
        except (UnicodeDecodeError, ValueError) as exc:
            errors.append(f"{path}:{number}: {exc}")
            continue
        records.append(obj)
    return records, errors


def evaluate(path: Path) -> Report:
    """Classify every good record of `path` and compare with its labels."""
    from kuzet.annotate import check_rules
    from nlp.pipeline import analyze

    records, errors = read_corpus(path)
    if not records:
        first = f"; {len(errors)} bad lines, the first: {errors[0]}" if errors else ""
        raise KuzetError(f"{path}: no labelled items to score{first}")
    check_rules()
    items = []
    for number, obj in enumerate(records, 1):
        title = obj.get("title") or ""
        result = analyze(f"{title}\n\n{obj['text']}" if title else obj["text"], obj.get("lang"))
        items.append(
            Item(
                id=str(obj.get("id", number)),
                lang=obj.get("lang") or result.lang,
                labels=set(obj.get("labels", [])),
                predicted=set(result.flagged),
                topics=result.topics,
                title=title,
            )
        )
    return Report(items=items, errors=errors)


def mistakes(report: Report) -> list[str]:
    """Lines describing every miss and false alarm, with the evidence behind false alarms."""
    lines = []
    for item in report.items:
        for topic in TOPICS:
            gold, pred = topic in item.labels, topic in item.predicted
            if gold == pred:
                continue
            t = item.topics[topic]
            kind = "MISS" if gold else "FALSE ALARM"
            lines.append(
                f"{kind} {topic} {item.id} [{item.lang}] score {t['score']} / "
                f"{t['threshold']}: {item.title[:70]}"
            )
            lines += [
                f"    {ev['rule']} ({ev['weight']:+g}): {ev['text']!r}" for ev in t["evidence"][:6]
            ]
    return lines


def format_summary(summary: dict[str, Any]) -> str:
    """The scores as a small table."""
    lines = [
        f"{summary['n']} items, macro-F1 {summary['macro_f1']:.3f}",
        "",
        f"{'topic':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}",
    ]
    for topic, s in summary["topics"].items():
        lines.append(
            f"{topic:<22}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}{s['support']:>9}"
        )
    lines += ["", f"{'language':<10}{'n':>5}{'macro-F1':>10}  per topic F1"]
    for lang, s in summary["by_lang"].items():
        per_topic = "  ".join(f"{t} {v['f1']:.2f}" for t, v in s["topics"].items())
        lines.append(f"{lang:<10}{s['n']:>5}{s['macro_f1']:>10.3f}  {per_topic}")
    return "\n".join(lines) + "\n"
