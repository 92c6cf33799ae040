"""The faster topic component gives what the straightforward one gave, byte for byte.

The reference below is the component as it was before matches were filtered and grouped in
compiled code, `near` windows searched by bisection and evidence read from token offsets:
every match grouped per rule and part, every `near` part scanned for every anchor, a Span
made for each hit and for its sentence. Both run over the same Docs (Russian, Kazakh and
English pipelines with the real rules) and their results are compared as JSON text, so an
integer 0 against 0.0, or evidence in another order, fails the test.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_right
from collections import defaultdict
from typing import Any

import numpy
import pytest
from spacy.attrs import SENT_START
from spacy.tokens import Doc, Span

from nlp.components.topics import (
    MAX_EVIDENCE,
    MAX_REPEATS,
    REPEAT_GAIN,
    TopicScorer,
    _near_spans,
    score_matches,
)
from nlp.pipeline import build_nlp, ruleset
from nlp.rules import TOPIC_LABELS, Rule
from nlp.text import TEXT_KEY

Range = tuple[int, int]


# -- the reference: the component's straightforward form ------------------------------------


def _reference_call(scorer: TopicScorer, doc: Doc) -> tuple[dict, dict]:
    spans: dict[str, dict[int, list[Range]]] = defaultdict(lambda: defaultdict(list))
    found = scorer.phrases(doc) + (scorer.matcher(doc) if len(scorer.matcher) else [])
    for match_id, start, end in found:
        rule_id, part = scorer.compiled.keys[match_id]
        spans[rule_id][part].append((start, end))
    hits = _reference_hits(scorer, spans)
    sentences = _ReferenceSentences(doc) if hits else None
    matches = {
        label: [
            _reference_evidence(rule, doc[start:end], sentences)
            for rule, (start, end) in hits.get(label, [])
        ]
        for label in TOPIC_LABELS
    }
    return matches, _reference_score(matches, scorer.thresholds)


def _reference_hits(scorer: TopicScorer, spans: dict) -> dict[str, list[tuple[Rule, Range]]]:
    excluded: dict[str, list[Range]] = defaultdict(list)
    plain: dict[str, list[tuple[Rule, Range]]] = defaultdict(list)
    near: dict[str, list[tuple[Rule, Range]]] = defaultdict(list)
    for rule_id, parts in spans.items():
        rule = scorer.compiled.rules[rule_id]
        if rule.exclude:
            excluded[rule.label].extend(parts[0])
        elif rule.near:
            near[rule.label].extend((rule, s) for s in _reference_near_spans(rule, parts))
        else:
            plain[rule.label].extend((rule, s) for s in parts[0])
    result: dict[str, list[tuple[Rule, Range]]] = {}
    for label in set(plain) | set(near):
        blocked = excluded.get(label, [])
        kept: list[tuple[Rule, Range]] = []
        ordered = sorted(plain.get(label, []), key=lambda h: (-abs(h[0].weight), h[1][0] - h[1][1]))
        for rule, span in ordered:
            if not _overlaps(span, blocked) and not _overlaps(span, [s for _r, s in kept]):
                kept.append((rule, span))
        kept += [(r, s) for r, s in near.get(label, []) if not _overlaps(s, blocked)]
        result[label] = kept
    return result


def _reference_near_spans(rule: Rule, parts: dict[int, list[Range]]) -> list[Range]:
    found = []
    for anchor in parts[0]:
        chosen = [anchor]
        for index in range(1, len(rule.parts)):
            others = parts.get(index, [])
            close = [
                s
                for s in others
                if abs(s[0] - anchor[0]) <= rule.window and not _overlaps(s, chosen)
            ]
            if not close:
                break
            chosen.append(min(close, key=lambda s: abs(s[0] - anchor[0])))
        else:
            found.append((min(s[0] for s in chosen), max(s[1] for s in chosen)))
    return found


def _overlaps(span: Range, others: list[Range]) -> bool:
    return any(span[0] < o[1] and o[0] < span[1] for o in others)


class _ReferenceSentences:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.user_data.get(TEXT_KEY) or doc.text
        if doc.has_annotation("SENT_START"):
            starts = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
            self.starts = [0, *starts] if not starts or starts[0] else starts
        else:
            self.starts = [0]

    def around(self, span: Span) -> str:
        index = max(0, bisect_right(self.starts, span.start) - 1)
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.doc)
        sentence = self.doc[start:end]
        return self.text[sentence.start_char : sentence.end_char]


def _reference_evidence(rule: Rule, span: Span, sentences: Any) -> dict[str, Any]:
    sentence = sentences.around(span) if sentences else span.text
    return {
        "rule": rule.id,
        "weight": rule.weight,
        "text": span.text,
        "start": span.start_char,
        "end": span.end_char,
        "sentence": " ".join(sentence.split())[:400],
    }


def _reference_score(matches: dict, thresholds: dict[str, float]) -> dict[str, dict]:
    result = {}
    for label in TOPIC_LABELS:
        found = matches.get(label, [])
        counts: dict[str, int] = defaultdict(int)
        weights: dict[str, float] = {}
        for ev in found:
            counts[ev["rule"]] += 1
            weights[ev["rule"]] = ev["weight"]
        score = sum(
            weights[rid] * (1 + REPEAT_GAIN * (min(n, MAX_REPEATS) - 1))
            for rid, n in counts.items()
        )
        threshold = thresholds.get(label, float("inf"))
        ordered = sorted(found, key=lambda ev: (-ev["weight"], ev["start"]))
        result[label] = {
            "score": round(score, 3),
            "threshold": threshold,
            "flagged": score >= threshold,
            "evidence": ordered[:MAX_EVIDENCE],
        }
    return result


# -- texts: fixed traps, and random ones made of the rules' own words ------------------------

_FIXED = {
    "ru": [
        "",
        " ",
        "\n\n\n",
        "ЛГБТ",
        "Дискриминация по признаку сексуальной ориентации запрещена. Дискриминация!",
        "ЛГБТ-активисты сообщили о нападении на гея; избиение геев — преступление на почве "
        "ненависти. Голубое топливо подорожало. Пропаганда нетрадиционных сексуальных отношений.",
        "дискриминация в в в в в в в в в в в в в в в в в в в по против отношении признаку " * 5,
        "Равные права и возможности мужчин и женщин; статья 14 Конституции; Трудовой кодекс, "
        "статья 6: запрет дискриминации. Увольнение по причине беременности.",
        "ЛГБТ\u00a0люди ⁠ гей\u200bклуб ŁGBT ЛГБТ‑сообщество 😀 ЛГБТ😀 ﬁ ẞ İ ſ ǅ 𝟏𝟒 статья",
        "!!! ??? ... — «» ЛГБТ ... ??? !!!",
        "разжигание национальной розни " + "слово " * 300 + "межнациональной вражды.",
    ],
    "kk": [
        "",
        "ЛГБТ адамдарына қатысты кемсітушілік. Жыныстық бағдарға байланысты кемсітуге тыйым.",
        "Конституцияның 14-бабы: тең құқықтар. Ұлтаралық араздықты қоздыру.",
    ],
    "en": [
        "",
        "Discrimination on grounds of sexual orientation; LGBT people attacked; hate crime.",
        "Price discrimination is not what we mean. Gay pride. Propaganda of terrorism. "
        "Equal rights and opportunities for women; Article 14 of the Constitution.",
    ],
}


def _rule_words(lang: str) -> list[str]:
    words: list[str] = []
    for rule in ruleset().for_lang(lang):
        for part in rule.parts:
            if isinstance(part, str):
                words += part.split()
                continue
            for spec in part:
                value = spec.get("WORD", spec.get("LEMMA"))
                if isinstance(value, dict):
                    words += value.get("IN", [])
                elif isinstance(value, str):
                    words.append(value)
    return sorted(set(words))


_EXTRA = [".", ",", "!", "?", "…", "-", "—", "«", "»", "\n", "\n\n", "  ", "и", "не", "the"]
_EXTRA += ["😀", "\u00a0", "İ", "ß", "12", "ст.", "Астана", "qwerty", "ЛГБТ-", "-ЛГБТ"]


def _random_texts(lang: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = _rule_words(lang) + _EXTRA
    texts = []
    for _ in range(count):
        size = rng.choice([0, 1, 3, 10, 40, 150, 600])
        texts.append(" ".join(rng.choice(words) for _ in range(size)))
    return texts


def _check(lang: str, text: str, with_text_key: bool = True) -> None:
    pipeline = build_nlp(lang)
    scorer = pipeline.get_pipe("kuzet_topics")
    doc = pipeline.make_doc(text)
    if with_text_key:
        doc.user_data[TEXT_KEY] = text
    for name, component in pipeline.pipeline:
        if name == "kuzet_topics":
            break
        doc = component(doc)
    expected = json.dumps(_reference_call(scorer, doc), ensure_ascii=False)
    scorer(doc)
    actual = json.dumps([doc._.kuzet_matches, doc._.kuzet_topics], ensure_ascii=False)
    assert actual == expected, text[:200]


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, ts in _FIXED.items() for t in ts])
def test_fixed_texts_give_the_references_topics_and_evidence(lang: str, text: str) -> None:
    _check(lang, text)
    _check(lang, text, with_text_key=False)


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_random_texts_of_rule_words_give_the_references_topics_and_evidence(lang: str) -> None:
    texts = _random_texts(lang, 150, seed=len(lang) * 7 + ord(lang[0]))
    fired = 0
    for text in texts:
        _check(lang, text)
        doc = build_nlp(lang)(text)
        fired += any(doc._.kuzet_matches.values())
    assert fired > len(texts) // 3  # the texts do exercise the rules


def test_random_texts_fire_near_rules_and_exclusions() -> None:
    rules = {r.id: r for r in ruleset().for_lang("ru")}
    seen_near = set()
    for text in _random_texts("ru", 150, seed=5):
        doc = build_nlp("ru")(text)
        seen_near |= {ev["rule"] for found in doc._.kuzet_matches.values() for ev in found} & {
            rid for rid, r in rules.items() if r.near
        }
    assert len(seen_near) >= 5


def _random_ranges(rng: random.Random, size: int, length: int) -> list[Range]:
    ranges = []
    for _ in range(rng.randint(0, length)):
        start = rng.randint(0, size)
        ranges.append((start, start + rng.randint(1, 3)))
    return sorted(ranges) if rng.random() < 0.7 else ranges  # in start order, mostly


@pytest.mark.parametrize("seed", range(6))
def test_near_spans_choose_as_the_full_scan_does(seed: int) -> None:
    """Windows found by bisection (matches in start order) choose the same matches."""
    rng = random.Random(seed)
    bisected = 0
    for _ in range(400):
        count = rng.choice([2, 2, 3, 4])
        rule = Rule("r", "sogi", "ru", 1.0, ("x",) * count, near=True, window=rng.randint(0, 6))
        size = rng.choice([5, 20, 60])
        parts = {i: _random_ranges(rng, size, 12) for i in range(count)}
        for index in range(count):
            if rng.random() < 0.1:
                del parts[index]  # a part without a match
        if 0 not in parts:
            continue
        expected = _reference_near_spans(rule, parts)
        assert _near_spans(rule, parts) == expected
        starts = [[s for s, _e in ranges] for ranges in parts.values()]
        if all(s == sorted(s) for s in starts):
            assert _near_spans(rule, parts, in_order=True) == expected
            bisected += 1
    assert bisected > 100


def test_score_of_an_empty_label_is_the_integer_zero_as_before() -> None:
    thresholds = {"sogi": 0, "hate_crime": -1.5, "anti_discrimination": 2.0}
    evidence = {"rule": "a", "weight": 1.5, "text": "x", "start": 3, "end": 4, "sentence": "x"}
    cases = [{}, {"sogi": []}, {"hate_crime": [evidence, dict(evidence, start=1)]}]
    for matches in cases:
        for limits in (thresholds, {}):
            actual = json.dumps(score_matches(matches, limits))
            assert actual == json.dumps(_reference_score(matches, limits))
    assert json.dumps(score_matches({}, {})["sogi"]["score"]) == "0"
    assert score_matches({}, thresholds)["sogi"]["flagged"] is True
