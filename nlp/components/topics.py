"""`kuzet_topics`: scores a Doc on each topic from data rules and keeps the evidence.

The component is built empty; `initialize_topics(nlp, ruleset)` compiles the rules for the
pipeline's language (phrases are normalised with the pipeline's own normaliser, so a rule
written as «нетрадиционной ориентации» matches every inflected form).
Result: `doc._.kuzet_topics = {label: {"score", "threshold", "flagged", "evidence"}}`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from typing import Any

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from nlp.rules import TOPIC_LABELS, Rule, RuleSet
from nlp.text import doc_text

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
    # match id -> the match ids that must all be found for its rule to fire: every part of a
    # `near` rule, nothing for other rules
    needs: dict[int, frozenset[int]] = field(default_factory=dict)


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
            parts = []
            for index, part in enumerate(rule.parts):
                key = f"{rule.id}#{index}"
                self._add(key, _expand(self._token_pattern(part)))
                parts.append(self.nlp.vocab.strings[key])
                self.compiled.keys[parts[-1]] = (rule.id, index)
            ids = frozenset(parts)
            for match_id in ids:
                self.compiled.needs[match_id] = (
                    ids if rule.near and not rule.exclude else frozenset()
                )

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
        found = self.phrases(doc) + (self.matcher(doc) if len(self.matcher) else [])
        hits = self._hits(found) if found else {}
        matches = _Evidence(doc).collect(hits) if hits else _no_matches()
        doc._.kuzet_matches = matches
        doc._.kuzet_topics = score_matches(matches, self.thresholds)
        return doc

    def _hits(self, found: list[tuple[int, int, int]]) -> dict[str, list[tuple[Rule, Range]]]:
        """Matches per label after exclusions and overlap resolution.

        Matches are kept as (start, end) token ranges per match id, in the order the matchers
        gave them; rules are visited in the order their first match came (a rule's ties in the
        evidence, and the order of its score's terms, follow that order). Most matches belong
        to `near` rules one of whose parts has no match in the Doc: such a rule cannot fire,
        so its matches are dropped (in compiled code) before they are grouped.
        """
        keys = self.compiled.keys
        rules = self.compiled.rules
        needs = self.compiled.needs
        seen = dict.fromkeys(map(itemgetter(0), found)).keys()  # match ids, first-seen order
        by_key: dict[int, list[Range]] = {m: [] for m in seen if seen >= needs[m]}
        if len(by_key) < len(seen):
            found = list(compress(found, map(by_key.__contains__, map(itemgetter(0), found))))
        for match_id, start, end in found:
            by_key[match_id].append((start, end))
        # the PhraseMatcher gives its matches in start order; with those of the token Matcher
        # after them, the order is checked
        starts = list(map(itemgetter(1), found))
        in_order = starts == sorted(starts)
        by_rule: dict[str, dict[int, list[Range]]] = {}
        for match_id, ranges in by_key.items():
            rule_id, part = keys[match_id]
            parts = by_rule.get(rule_id)
            if parts is None:
                by_rule[rule_id] = {part: ranges}
            else:
                parts[part] = ranges
        excluded: dict[str, list[Range]] = defaultdict(list)
        plain: dict[str, list[tuple[Rule, Range]]] = defaultdict(list)
        near: dict[str, list[tuple[Rule, Range]]] = defaultdict(list)
        for rule_id, parts in by_rule.items():
            rule = rules[rule_id]
            if rule.exclude:
                excluded[rule.label].extend(parts.get(0, ()))
            elif rule.near:
                near[rule.label].extend((rule, s) for s in _near_spans(rule, parts, in_order))
            else:
                plain[rule.label].extend((rule, s) for s in parts.get(0, ()))
        result: dict[str, list[tuple[Rule, Range]]] = {}
        for label in set(plain) | set(near):
            blocked = excluded.get(label, [])
            kept: list[tuple[Rule, Range]] = []
            taken: list[Range] = []
            ordered = sorted(
                plain.get(label, []), key=lambda h: (-abs(h[0].weight), h[1][0] - h[1][1])
            )
            for rule, span in ordered:
                if not (blocked and _overlaps(span, blocked)) and not _overlaps(span, taken):
                    kept.append((rule, span))
                    taken.append(span)
            kept += [(r, s) for r, s in near.get(label, []) if not _overlaps(s, blocked)]
            if kept:
                result[label] = kept
        return result


def _no_matches() -> dict[str, list[dict[str, Any]]]:
    return {label: [] for label in TOPIC_LABELS}


def score_matches(
    matches: dict[str, list[dict[str, Any]]], thresholds: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Score each label from its evidence: a rule's weight, plus 3/4 of it for each repeat
    (three matches at most), summed; flagged when the sum reaches the label's threshold."""
    result = {}
    for label in TOPIC_LABELS:
        found = matches.get(label)
        threshold = thresholds.get(label, float("inf"))
        if not found:  # what the general case gives: an empty sum is the integer 0
            result[label] = {
                "score": 0,
                "threshold": threshold,
                "flagged": threshold <= 0,
                "evidence": [],
            }
            continue
        counts: dict[str, int] = {}
        weights: dict[str, float] = {}
        for ev in found:
            rule = ev["rule"]
            counts[rule] = counts.get(rule, 0) + 1
            weights[rule] = ev["weight"]
        score = sum(
            weights[rid] * (1 + REPEAT_GAIN * (min(n, MAX_REPEATS) - 1))
            for rid, n in counts.items()
        )
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


def _near_spans(rule: Rule, parts: dict[int, list[Range]], in_order: bool = False) -> list[Range]:
    """Token ranges where every part of a `near` rule occurs within the rule's window.

    For each anchor (a match of the first part), each further part contributes its closest
    match (the first of the closest, in the part's order) that starts at most `window` tokens
    away and overlaps none chosen so far. When every part's matches are in start order
    (`in_order`: the PhraseMatcher gives them so), a part's matches are narrowed to the window
    by bisection first: the slice holds exactly the matches within the window, in their
    order, so the choice is the same.
    """
    window = rule.window
    if in_order and len(rule.parts) == 2:
        return _near_pairs(parts[0], parts.get(1, []), window)
    found = []
    for anchor in parts[0]:
        at = anchor[0]
        chosen = [anchor]
        for index in range(1, len(rule.parts)):
            ranges = parts.get(index, [])
            if in_order:  # (x,) sorts before every (x, end): bisect by start alone
                low = bisect_left(ranges, (at - window,))
                ranges = ranges[low : bisect_left(ranges, (at + window + 1,), low)]
            best, best_gap = None, 0
            for s in ranges:
                gap = abs(s[0] - at)
                if gap <= window and (best is None or gap < best_gap) and not _overlaps(s, chosen):
                    best, best_gap = s, gap
            if best is None:
                break
            chosen.append(best)
        else:
            found.append((min(s[0] for s in chosen), max(s[1] for s in chosen)))
    return found


def _near_pairs(anchors: list[Range], ranges: list[Range], window: int) -> list[Range]:
    """`_near_spans` of a two-part rule whose matches are in start order (the common case,
    written out): the closest match of the second part within the window that does not
    overlap the anchor, the first of equally close ones."""
    found = []
    for anchor in anchors:
        at, anchor_end = anchor
        low = bisect_left(ranges, (at - window,))
        high = bisect_left(ranges, (at + window + 1,), low)
        best, best_gap = None, 0
        for index in range(low, high):
            s = ranges[index]
            gap = abs(s[0] - at)
            if (best is None or gap < best_gap) and (s[1] <= at or anchor_end <= s[0]):
                best, best_gap = s, gap
        if best is not None:
            found.append((min(at, best[0]), max(anchor_end, best[1])))
    return found


def _overlaps(span: Range, others: list[Range]) -> bool:
    return any(span[0] < o[1] and o[0] < span[1] for o in others)


class _Evidence:
    """Builds the evidence of a Doc's hits from token offsets, without Span objects.

    For a hit on tokens [start, end) a Span would give `start_char` = the first token's `idx`,
    `end_char` = the last token's `idx` + its length, and `text` = the Doc's text between
    the two (the tokens' texts and whitespace, less the last token's whitespace). Here the
    offsets are read from those two tokens and the text is sliced from the Doc's text: the
    one left under `TEXT_KEY` (the text the Doc was made from), else `Doc.text`. The sentence
    is the one the hit starts in: sentence starts are read once (`SENT_START`) and searched
    by bisection; each sentence's cleaned text is made once per Doc.
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc_text(doc)
        if doc.has_annotation("SENT_START"):
            starts = (doc.to_array(SENT_START) == 1).nonzero()[0].tolist()
            self.starts = [0, *starts] if not starts or starts[0] else starts
        else:
            self.starts = [0]
        self.sentences: dict[int, str] = {}

    def collect(self, hits: dict[str, list[tuple[Rule, Range]]]) -> dict[str, list[dict[str, Any]]]:
        """The evidence of each label's hits, in their order (every label, maybe empty)."""
        doc, text, starts, sentences = self.doc, self.text, self.starts, self.sentences
        result = {}
        for label in TOPIC_LABELS:
            found = []
            for rule, (start, end) in hits.get(label, ()):
                first_char = doc[start].idx
                last = doc[end - 1]
                end_char = last.idx + len(last)
                index = max(0, bisect_right(starts, start) - 1)
                sentence = sentences.get(index)
                if sentence is None:
                    sentence = sentences[index] = self.sentence(index)
                found.append(
                    {
                        "rule": rule.id,
                        "weight": rule.weight,
                        "text": text[first_char:end_char],
                        "start": first_char,
                        "end": end_char,
                        "sentence": sentence,
                    }
                )
            result[label] = found
        return result

    def sentence(self, index: int) -> str:
        """The cleaned text of sentence `index` (spaces squeezed, cut at 400 characters)."""
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.doc)
        last = self.doc[end - 1]
        raw = self.text[self.doc[start].idx : last.idx + len(last)]
        return " ".join(raw.split())[:_SENTENCE_CHARS]


@Language.factory("kuzet_topics", requires=["token.lemma"], assigns=["doc._.kuzet_topics"])
def make_topics(nlp: Language, name: str) -> TopicScorer:
    """Factory: an empty scorer; compile rules with `initialize_rules`."""
    return TopicScorer(nlp)
