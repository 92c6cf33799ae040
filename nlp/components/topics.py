"""`kuzet_topics`: scores a Doc on each topic from data rules and keeps the evidence.

The component is built empty; `initialize_topics(nlp, ruleset)` compiles the rules for the
pipeline's language (phrases are normalised with the pipeline's own normaliser, so a rule
written as «нетрадиционной ориентации» matches every inflected form).
Result: `doc._.kuzet_topics = {label: {"score", "threshold", "flagged", "evidence"}}`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from nlp.components.legal import TEXT_KEY
from nlp.rules import TOPIC_LABELS, Rule, RuleSet

if not Doc.has_extension("kuzet_topics"):
    Doc.set_extension("kuzet_topics", default=None)
if not Doc.has_extension("kuzet_matches"):
    Doc.set_extension("kuzet_matches", default=None)

Range = tuple[int, int]  # a match's tokens: doc[start:end]
MAX_EVIDENCE = 12
REPEAT_GAIN = 0.75  # each further match of the same rule adds three quarters of its weight …
MAX_REPEATS = 3  # … up to three matches
_SENTENCE_CHARS = 400


@dataclass
class _Compiled:
    rules: dict[str, Rule] = field(default_factory=dict)
    keys: dict[int, tuple[str, int]] = field(default_factory=dict)  # match id -> (rule, part)


class TopicScorer:
    """Applies compiled topic rules to a Doc."""

    def __init__(self, nlp: Language, thresholds: dict[str, float] | None = None) -> None:
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        self.phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.compiled = _Compiled()
        self.thresholds = dict(thresholds or {})
        self.version = "empty"

    def initialize_rules(self, ruleset: RuleSet) -> None:
        """Compile the rules of this pipeline's language (replacing any compiled before)."""
        self.matcher = Matcher(self.nlp.vocab)
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.compiled = _Compiled()
        self.thresholds = dict(ruleset.thresholds)
        self.version = ruleset.version
        for rule in ruleset.for_lang(self.nlp.lang):
            self.compiled.rules[rule.id] = rule
            for index, part in enumerate(rule.parts):
                key = f"{rule.id}#{index}"
                self._add(key, _expand(self._token_pattern(part)))
                self.compiled.keys[self.nlp.vocab.strings[key]] = (rule.id, index)

    def _add(self, key: str, patterns: list[list[dict[str, Any]]]) -> None:
        """Plain lemma sequences go to the PhraseMatcher (hash lookups in compiled code, fast
        whatever the number of rules); anything else to the token Matcher."""
        phrases, others = [], []
        for pattern in patterns:
            sequences = _lemma_sequences(pattern)
            if sequences is None:
                others.append(pattern)
            else:
                phrases += [self._lemma_doc(seq) for seq in sequences]
        if phrases:
            self.phrases.add(key, phrases)
        if others:
            self.matcher.add(key, others)

    def _lemma_doc(self, lemmas: list[str]) -> Doc:
        doc = Doc(self.nlp.vocab, words=lemmas)
        for token, lemma in zip(doc, lemmas, strict=True):
            token.lemma_ = lemma
        return doc

    def _token_pattern(self, part: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        word = self._normalizer().word
        if isinstance(part, list):
            return [_resolve_words(spec, word) for spec in part]
        pattern: list[dict[str, Any]] = []
        for token in self.nlp.make_doc(part):
            if token.is_punct:
                pattern.append({"IS_PUNCT": True, "OP": "?"})
            else:
                pattern.append({"LEMMA": word(token.text)})
        return pattern

    def _normalizer(self) -> Any:
        return self.nlp.get_pipe("kuzet_normalizer")

    def __call__(self, doc: Doc) -> Doc:
        # matches are kept as (start, end) token ranges; Span objects are made for evidence only
        spans: dict[str, dict[int, list[Range]]] = defaultdict(lambda: defaultdict(list))
        found = self.phrases(doc) + (self.matcher(doc) if len(self.matcher) else [])
        for match_id, start, end in found:
            rule_id, part = self.compiled.keys[match_id]
            spans[rule_id][part].append((start, end))
        hits = self._hits(spans)
        sentences = _Sentences(doc) if hits else None
        doc._.kuzet_matches = {
            label: [
                _evidence(rule, doc[start:end], sentences)
                for rule, (start, end) in hits.get(label, [])
            ]
            for label in TOPIC_LABELS
        }
        doc._.kuzet_topics = score_matches(doc._.kuzet_matches, self.thresholds)
        return doc

    def _hits(
        self, spans: dict[str, dict[int, list[Range]]]
    ) -> dict[str, list[tuple[Rule, Range]]]:
        """Matches per label after exclusions and overlap resolution."""
        excluded: dict[str, list[Range]] = defaultdict(list)
        plain: dict[str, list[tuple[Rule, Range]]] = defaultdict(list)
        near: dict[str, list[tuple[Rule, Range]]] = defaultdict(list)
        for rule_id, parts in spans.items():
            rule = self.compiled.rules[rule_id]
            if rule.exclude:
                excluded[rule.label].extend(parts[0])
            elif rule.near:
                near[rule.label].extend((rule, s) for s in _near_spans(rule, parts))
            else:
                plain[rule.label].extend((rule, s) for s in parts[0])
        result: dict[str, list[tuple[Rule, Range]]] = {}
        for label in set(plain) | set(near):
            blocked = excluded.get(label, [])
            kept: list[tuple[Rule, Range]] = []
            ordered = sorted(
                plain.get(label, []), key=lambda h: (-abs(h[0].weight), h[1][0] - h[1][1])
            )
            for rule, span in ordered:
                if not _overlaps(span, blocked) and not _overlaps(span, [s for _r, s in kept]):
                    kept.append((rule, span))
            kept += [(r, s) for r, s in near.get(label, []) if not _overlaps(s, blocked)]
            result[label] = kept
        return result


def score_matches(
    matches: dict[str, list[dict[str, Any]]], thresholds: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Score each label from its evidence: a rule's weight, plus 3/4 of it for each repeat
    (three matches at most), summed; flagged when the sum reaches the label's threshold."""
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


def _resolve_words(spec: dict[str, Any], word: Any) -> dict[str, Any]:
    """`{"WORD": "бағдарға"}` -> `{"LEMMA": <its normal form>}`; also `{"WORD": {"IN": [...]}}`."""
    if "WORD" not in spec:
        return spec
    spec = dict(spec)
    value = spec.pop("WORD")
    if isinstance(value, dict) and "IN" in value:
        spec["LEMMA"] = {"IN": sorted({word(w) for w in value["IN"]})}
    else:
        spec["LEMMA"] = word(value)
    return spec


MAX_EXPANSIONS = 500


def _expand(pattern: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Turn `{"LEMMA": {"IN": [...]}}` tokens into one pattern per choice.

    The Matcher compares plain attribute values in compiled code but calls Python for every
    `IN` set on every token, which made it the slowest part of the pipeline.
    """
    expanded: list[list[dict[str, Any]]] = [[]]
    for spec in pattern:
        choices = spec.get("LEMMA", {}).get("IN") if isinstance(spec.get("LEMMA"), dict) else None
        if choices is None or len(expanded) * len(choices) > MAX_EXPANSIONS:
            expanded = [[*p, spec] for p in expanded]
            continue
        rest = {k: v for k, v in spec.items() if k != "LEMMA"}
        expanded = [[*p, {**rest, "LEMMA": c}] for p in expanded for c in choices]
    return expanded


def _lemma_sequences(pattern: list[dict[str, Any]]) -> list[list[str]] | None:
    """The lemma sequences a pattern of plain lemmas and optional punctuation stands for
    (optional punctuation: absent, or a hyphen), or None if it needs the token Matcher."""
    sequences: list[list[str]] = [[]]
    for spec in pattern:
        if spec == {"IS_PUNCT": True, "OP": "?"}:
            sequences = [s + extra for s in sequences for extra in ([], ["-"])]
        elif set(spec) == {"LEMMA"} and isinstance(spec["LEMMA"], str):
            sequences = [[*s, spec["LEMMA"]] for s in sequences]
        else:
            return None
    return sequences if all(sequences) else None


def _near_spans(rule: Rule, parts: dict[int, list[Range]]) -> list[Range]:
    """Token ranges where every part of a `near` rule occurs within the rule's window."""
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


class _Sentences:
    """A Doc's sentence starts, read once from the token array, to find the sentence around
    a span by bisection (`Span.sent` and `Doc.sents` walk the tokens again for every span)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.user_data.get(TEXT_KEY) or doc.text
        if doc.has_annotation("SENT_START"):
            starts = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
            self.starts = [0, *starts] if not starts or starts[0] else starts
        else:
            self.starts = [0]

    def around(self, span: Span) -> str:
        """The text of the sentence the span starts in (as `Span.text` would give it)."""
        index = max(0, bisect_right(self.starts, span.start) - 1)
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.doc)
        sentence = self.doc[start:end]
        return self.text[sentence.start_char : sentence.end_char]


def _evidence(rule: Rule, span: Span, sentences: _Sentences | None) -> dict[str, Any]:
    sentence = sentences.around(span) if sentences else span.text
    return {
        "rule": rule.id,
        "weight": rule.weight,
        "text": span.text,
        "start": span.start_char,
        "end": span.end_char,
        "sentence": " ".join(sentence.split())[:_SENTENCE_CHARS],
    }


@Language.factory("kuzet_topics", requires=["token.lemma"], assigns=["doc._.kuzet_topics"])
def make_topics(nlp: Language, name: str) -> TopicScorer:
    """Factory: an empty scorer; compile rules with `initialize_rules`."""
    return TopicScorer(nlp)
