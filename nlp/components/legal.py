"""`kuzet_legal`: legal references and bill stages in ru, kk and en text, found by data regexes.

Spans go to `doc.spans["kuzet_legal"]` with labels ARTICLE, LAW_TITLE, ADILET_ID, BILL_NUMBER and
STAGE; each span's `span._.kuzet_ref` is a dict of attributes:

- ARTICLE: `{"article": "174", "part": "1" | None, "code": "criminal" | "constitution" |
  "labour" | "administrative" | None}`
- LAW_TITLE: `{"title": ...}`; ADILET_ID: `{"adilet_id": ...}`; BILL_NUMBER: `{"number": ...}`
  (the number without a ЗРК/ҚРЗ suffix)
- STAGE: `{"stage": <code in STAGES>, "date": "YYYY-MM-DD" | None}`, the date being the full date
  nearest to the phrase in the same sentence.

Patterns are data (`legal.jsonl` in the rules directory, `KUZET_PATTERNS_DIR` or
`data/patterns`, read by `load_legal_patterns`): `id`, `label`,
`lang`, `regex` (matched case-insensitively on `doc.text`), `stage` for STAGE, optional
`comment`. Named groups carry attributes: `article`, `part`, `title`, `number`, `adilet_id`, and
`code_<code>` (the group that matched names the code). Every pattern runs on every Doc, whatever
its language, since Kazakh text quotes Russian and the other way round. Overlapping matches of
one label keep the longest.

The component is built empty. Wire it with::

    nlp.add_pipe("kuzet_legal")
    initialize_legal(nlp)  # loads legal.jsonl (nlp.rules.legal_patterns_path) and months.txt

or pass data explicitly: `nlp.get_pipe("kuzet_legal").initialize(patterns=..., months=...)`.
`nlp.initialize()` without settings leaves loaded patterns in place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from re import _parser  # the stdlib's regex parser: used only to find a prefilter literal
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.anchored import MIN_ANCHOR, AnchoredRegex
from nlp.dates import MONTHS_PATH, DateFinder, load_months
from nlp.literals import Locator, fold
from nlp.rules import LEGAL_FILE, PATTERNS_DIR, legal_patterns_path
from nlp.text import doc_text

PATTERNS_PATH = PATTERNS_DIR / LEGAL_FILE
SPANS_KEY = "kuzet_legal"
LABELS = ("ARTICLE", "LAW_TITLE", "ADILET_ID", "BILL_NUMBER", "STAGE")
LANGS = ("ru", "kk", "en", "any")
CODES = ("criminal", "constitution", "labour", "administrative")
# fmt: off
STAGES = (
    "draft_published", "public_discussion", "introduced", "committee",
    "first_reading", "second_reading", "third_reading", "adopted",
    "senate_approved", "returned", "sent_to_president", "signed",
    "published", "in_force", "withdrawn", "rejected",
)
# fmt: on
# Attributes of each label (all present, None when not found) and the groups that fill them.
ATTRIBUTES = {
    "ARTICLE": ("article", "part", "code"),
    "LAW_TITLE": ("title",),
    "ADILET_ID": ("adilet_id",),
    "BILL_NUMBER": ("number",),
    "STAGE": ("stage", "date"),
}
_REQUIRED_GROUP = {label: attrs[0] for label, attrs in ATTRIBUTES.items() if label != "STAGE"}
_GROUPS = {
    "ARTICLE": {"article", "part", *(f"code_{c}" for c in CODES)},
    "LAW_TITLE": {"title"},
    "ADILET_ID": {"adilet_id"},
    "BILL_NUMBER": {"number"},
    "STAGE": set(),
}
_KEYS = {"id", "label", "lang", "regex", "stage", "comment"}
_SENTENCE_END = re.compile(
    r"(?<![Сс]т)(?<!\b[чпгЧПГ])(?<!рег)(?<!No)(?<![Aa]rt)[.!?…]+[\"»”)]*\s+"
    r"(?=[\dA-ZА-ЯЁӘҒҚҢӨҰҮҺІ«\"“])|\n+"
)


def _ref_key(span: Span) -> tuple[str, int, int, str]:
    """Where a span's attributes live in `doc.user_data` (label included, unlike spaCy's key)."""
    return (SPANS_KEY, span.start_char, span.end_char, span.label_)


def _get_ref(span: Span) -> dict[str, Any] | None:
    """Getter of `span._.kuzet_ref`: the attributes the component stored, or None."""
    return span.doc.user_data.get(_ref_key(span))


if not Span.has_extension("kuzet_ref"):
    Span.set_extension("kuzet_ref", getter=_get_ref)


@dataclass(frozen=True)
class LegalPattern:
    """One compiled pattern line."""

    id: str
    label: str
    lang: str
    regex: re.Pattern[str]
    search: AnchoredRegex  # finds the regex's matches faster (the same matches)
    stage: str | None = None
    needs: tuple[str, ...] | None = None  # a match contains one of these (case-folded)


def _parse_pattern(obj: Any) -> LegalPattern:
    """Check one decoded line; raises ValueError with a bare message on a problem."""
    if not isinstance(obj, dict):
        raise ValueError("a line must be a JSON object")
    missing = {"id", "label", "lang", "regex"} - set(obj)
    if missing:
        raise ValueError(f"missing key(s) {', '.join(sorted(missing))}")
    if unknown := set(obj) - _KEYS:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    if not isinstance(obj["id"], str) or not obj["id"]:
        raise ValueError("id must be a non-empty string")
    label, stage = obj["label"], obj.get("stage")
    if label not in LABELS:
        raise ValueError(f"label {label!r} is not one of {', '.join(LABELS)}")
    if obj["lang"] not in LANGS:
        raise ValueError(f"lang {obj['lang']!r} is not one of {', '.join(LANGS)}")
    if (label == "STAGE") != (stage is not None):
        raise ValueError("`stage` is required for STAGE patterns and only for them")
    if stage is not None and stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    try:
        regex = re.compile(obj["regex"], re.IGNORECASE)
    except (re.error, TypeError) as err:
        raise ValueError(f"regex does not compile: {err}") from err
    groups = set(regex.groupindex)
    if extra := groups - _GROUPS[label]:
        raise ValueError(f"group(s) {', '.join(sorted(extra))} mean nothing for {label}")
    if label in _REQUIRED_GROUP and _REQUIRED_GROUP[label] not in groups:
        raise ValueError(f"{label} patterns need a (?P<{_REQUIRED_GROUP[label]}>...) group")
    needs = _requirement(_parser.parse(obj["regex"], re.IGNORECASE)) or ()
    folded = tuple(f for s in needs if (f := fold(s)) and len(f) >= MIN_ANCHOR)
    search = AnchoredRegex(obj["regex"], re.IGNORECASE)
    usable = folded if len(folded) == len(needs) else None  # short strings are everywhere
    return LegalPattern(obj["id"], label, obj["lang"], regex, search, stage, usable or None)


def _requirement(items: Iterable[Any]) -> tuple[str, ...] | None:
    """Lowercased strings one of which every match contains (None: no such set found).

    Patterns `nlp.anchored` cannot anchor are skipped on texts where none of these occurs.
    """
    best: tuple[str, ...] | None = None
    run = ""
    for op, arg in [*items, (None, None)]:
        if op is _parser.LITERAL:
            run += chr(arg)
            continue
        found: tuple[str, ...] | None = (run.lower(),) if run else None
        run = ""
        if op is _parser.SUBPATTERN:
            found = _more_selective(found, _requirement(arg[3]))
        elif op in (_parser.MAX_REPEAT, _parser.MIN_REPEAT) and arg[0] >= 1:
            found = _more_selective(found, _requirement(arg[2]))
        elif op is _parser.BRANCH:
            branches = [_requirement(branch) for branch in arg[1]]
            if all(branches):
                found = _more_selective(found, tuple(s for b in branches if b for s in b))
        best = _more_selective(best, found)
    return best


def _more_selective(
    one: tuple[str, ...] | None, other: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    """The more selective requirement: the one whose shortest string is longer."""
    if one is None or other is None:
        return one or other
    return one if min(map(len, one)) >= min(map(len, other)) else other


def load_legal_patterns(path: Path = PATTERNS_PATH) -> list[dict[str, Any]]:
    """Read and validate a pattern file; raises ValueError naming the file and line."""
    patterns: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            _parse_pattern(obj)
        except ValueError as err:  # json.JSONDecodeError is a ValueError too
            raise ValueError(f"{path}:{number}: {err}") from err
        if obj["id"] in seen:
            raise ValueError(
                f"{path}:{number}: duplicate id {obj['id']!r} (line {seen[obj['id']]})"
            )
        seen[obj["id"]] = number
        patterns.append(obj)
    return patterns


class LegalRecognizer:
    """Finds legal references and bill stages with compiled data patterns."""

    def __init__(self, nlp: Language, name: str = "kuzet_legal", spans_key: str = SPANS_KEY):
        self.name = name
        self.spans_key = spans_key
        self.patterns: list[LegalPattern] = []
        self._index_literals()
        self.dates = DateFinder()

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: list[dict[str, Any]] | None = None,
        months: dict[str, int] | None = None,
    ) -> None:
        """Compile `patterns` (dicts as from `load_legal_patterns`) and a month table.

        Either left as None keeps what is loaded, so a bare `nlp.initialize()` changes nothing.
        """
        if patterns is not None:
            self.patterns = [_parse_pattern(p) for p in patterns]
            self._index_literals()
        if months is not None:
            self.dates = DateFinder(months)

    def _index_literals(self) -> None:
        """Which literals each pattern needs: one of its anchors, and one of what it `needs`.

        Every match of an anchored pattern starts its rest at one of its anchors, and every
        match of any pattern contains one of its `needs`: a pattern missing either on a text
        has no match there and is skipped. (The anchor alone used to decide; most anchors are
        common words such as «проект», while the `needs` of the same patterns, such as
        «отклонил», are rare.)
        """
        self.always: list[int] = []  # patterns with no literal to look for: run on every text
        self.requires: list[list[tuple[str, ...]]] = []  # per pattern: one of each must occur
        self.by_literal: dict[str, list[int]] = {}
        for index, pattern in enumerate(self.patterns):
            search = pattern.search
            groups = [search.anchors] if search.anchored and search.anchors else []
            if pattern.needs:
                groups.append(pattern.needs)
            self.requires.append(groups)
            if not groups:
                self.always.append(index)
            for literal in {s for group in groups for s in group}:
                self.by_literal.setdefault(literal, []).append(index)
        self.locator = Locator(self.by_literal)

    def _to_run(self, located: dict[str, list[int]] | None) -> list[LegalPattern]:
        """The patterns that can match a text whose literals are `located` (None: all)."""
        if located is None:
            return self.patterns
        present = located.keys()
        candidates = set(self.always)
        for literal in present:
            candidates.update(self.by_literal.get(literal, ()))
        return [
            self.patterns[i]
            for i in sorted(candidates)
            if all(not present.isdisjoint(group) for group in self.requires[i])
        ]

    def __call__(self, doc: Doc) -> Doc:
        """Set `doc.spans[spans_key]` and each span's `kuzet_ref` attributes."""
        candidates = []
        # Doc.text is rebuilt from the tokens on each access: nlp.pipeline hands the input over
        text = doc_text(doc)
        # where the patterns' literals occur, in one pass over the case-folded text (None: a
        # text that cannot be folded character for character; every regex then runs)
        folded = fold(text)
        located = self.locator.locate(folded) if folded is not None else None
        for pattern in self._to_run(located):
            for match in pattern.search.finditer(text, folded, located):
                span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
                if span is not None and len(span):
                    candidates.append((span, pattern, match))
        kept = _longest_per_label(candidates, lambda c: (c[1].label, c[0]))
        dates = self.dates.find(text) if any(p.label == "STAGE" for _s, p, _m in kept) else []
        sentences = _sentences(doc, text, dates) if dates else []
        spans = []
        for span, pattern, match in kept:
            result = Span(doc, span.start, span.end, label=pattern.label)
            attrs = _attributes(pattern, match)
            if pattern.label == "STAGE":
                attrs["date"] = _nearest_date(result, dates, sentences)
            doc.user_data[_ref_key(result)] = attrs
            spans.append(result)
        doc.spans[self.spans_key] = sorted(spans, key=lambda s: (s.start, -s.end))
        return doc


@Language.factory(
    "kuzet_legal",
    default_config={"spans_key": SPANS_KEY},
    assigns=["doc.spans", "span._.kuzet_ref"],
)
def make_legal(nlp: Language, name: str, spans_key: str) -> LegalRecognizer:
    """Build an empty `kuzet_legal` component (load patterns with `initialize_legal`)."""
    return LegalRecognizer(nlp, name=name, spans_key=spans_key)


def initialize_legal(
    nlp: Language,
    patterns: list[dict[str, Any]] | None = None,
    months: dict[str, int] | None = None,
    name: str = "kuzet_legal",
) -> LegalRecognizer:
    """Load the legal patterns (`nlp.rules.legal_patterns_path`) and the month table, or use
    those given, into the component."""
    component = nlp.get_pipe(name)
    component.initialize(
        patterns=load_legal_patterns(legal_patterns_path()) if patterns is None else patterns,
        months=load_months(MONTHS_PATH) if months is None else months,
    )
    return component


def _attributes(pattern: LegalPattern, match: re.Match[str]) -> dict[str, Any]:
    """The label's attributes from the match's named groups."""
    attrs: dict[str, Any] = dict.fromkeys(ATTRIBUTES[pattern.label])
    for group, value in match.groupdict().items():
        if value is None:
            continue
        if group.startswith("code_"):
            attrs["code"] = group.removeprefix("code_")
        else:
            attrs[group] = " ".join(value.split())
    if attrs.get("adilet_id"):
        attrs["adilet_id"] = attrs["adilet_id"].upper()
    if attrs.get("number"):
        attrs["number"] = attrs["number"].upper()
    if pattern.stage:
        attrs["stage"] = pattern.stage
    return attrs


def _longest_per_label(items: list[Any], key: Callable[[Any], tuple[str, Span]]) -> list[Any]:
    """Drop items whose span overlaps a longer (or earlier, equally long) one of the same label."""
    ordered = sorted(items, key=lambda i: (-len(key(i)[1].text), key(i)[1].start_char))
    taken: dict[str, list[Span]] = {}
    kept = []
    for item in ordered:
        label, span = key(item)
        others = taken.setdefault(label, [])
        if all(span.end <= o.start or span.start >= o.end for o in others):
            others.append(span)
            kept.append(item)
    return kept


def _sentences(doc: Doc, text: str, dates: list[tuple[int, int, Any]]) -> list[tuple[int, int]]:
    """Sentence character ranges: the pipeline's if set, else found by punctuation.

    A boundary inside a date («30 декабря 2025 г.», «2025 ж. 30 желтоқсанда») is ignored.
    """
    if doc.has_annotation("SENT_START"):
        cuts = [(s.start_char, s.start_char) for s in doc.sents][1:]
    else:
        cuts = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    kept = [cut for at, cut in cuts if not any(ds < at < de for ds, de, _d in dates)]
    return list(pairwise([0, *kept, len(text)]))


def _nearest_date(
    span: Span, dates: list[tuple[int, int, Any]], sentences: list[tuple[int, int]]
) -> str | None:
    """ISO form of the full date in the span's sentence nearest to it, or None."""
    start, end = span.start_char, span.end_char
    sentence = next(((a, b) for a, b in sentences if a <= start < b), None)
    if sentence is None:
        return None
    inside = [(ds, de, d) for ds, de, d in dates if sentence[0] <= ds < sentence[1]]
    if not inside:
        return None
    best = min(inside, key=lambda item: max(0, item[0] - end, start - item[1]))
    return best[2].isoformat()


def legal_references(doc: Doc, spans_key: str = SPANS_KEY) -> list[dict[str, Any]]:
    """The Doc's legal spans as JSON-ready dicts, by position, one per overlap and label."""
    spans = list(doc.spans[spans_key]) if spans_key in doc.spans else []
    kept = _longest_per_label(spans, lambda s: (s.label_, s))
    kept.sort(key=lambda s: (s.start_char, -s.end_char, s.label_))
    return [
        {
            "label": span.label_,
            "text": span.text,
            "start_char": span.start_char,
            "end_char": span.end_char,
            **(span._.kuzet_ref or {}),
        }
        for span in kept
    ]
