"""`build_nlp(lang)`: the spaCy pipeline per language, and `analyze(text)` around it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import spacy
from spacy.attrs import LIKE_NUM
from spacy.lang.ru import lex_attrs as ru_lex_attrs
from spacy.language import Language

from nlp import langid, lexattrs
from nlp.affixes import drop_inert_specials, faster_affixes
from nlp.components import legal
from nlp.components import normalizer as _normalizer  # also registers the factory
from nlp.components import sentences as _sentences  # noqa: F401 - registers kuzet_sentences
from nlp.components import topics as _topics
from nlp.rules import RuleSet, load_rules
from nlp.text import TEXT_KEY

CHUNK_CHARS = 100_000
#: Longer texts are analysed in their first MAX_CHARS characters (Analysis.truncated says so).
MAX_CHARS = 1_000_000
#: Whitespace-separated chunks whose tokens spaCy's tokenizer keeps for the next time it meets
#: them (spaCy's default, 10,000, is full after a few dozen news articles; from then on every
#: chunk is split afresh). About 120 bytes each: at most ~12 MB per pipeline.
TOKENIZER_CACHE = 100_000
_TAGS = re.compile(r"<(?:script|style)\b.*?</(?:script|style)\s*>|<[^>\n]{1,300}>", re.I | re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass
class Analysis:
    """What the NLP stage found in one text."""

    lang: str
    topics: dict[str, dict[str, Any]]
    legal: list[dict[str, Any]] = field(default_factory=list)
    lemmas: str = ""
    truncated: bool = False

    @property
    def flagged(self) -> list[str]:
        """Labels whose score passed their threshold."""
        return [label for label, t in self.topics.items() if t["flagged"]]


@cache
def ruleset() -> RuleSet:
    """The topic rules and legal-reference patterns (`nlp.rules.rules_dir()`, loaded and
    validated once per process)."""
    return load_rules()


@cache
def build_nlp(lang: str) -> Language:
    """The pipeline for `ru`, `kk` or `en`: blank tokenizer, normaliser, sentences, topics,
    legal references. Its vocabulary computes only the lexical attributes our components and
    rules read (`nlp.lexattrs`); Russian `like_num` is spaCy's test, made faster; the
    tokenizer keeps up to TOKENIZER_CACHE chunks, and has no special cases that would stop
    it keeping them without changing a token (`nlp.affixes.drop_inert_specials`)."""
    if lang not in langid.LANGS:
        raise ValueError(f"no pipeline for language {lang!r} (expected ru, kk or en)")
    if lang == "kk":
        import nlp.kazakh  # noqa: F401 - registers the Kazakh language class

    pipeline = spacy.blank(lang)
    pipeline.max_length = CHUNK_CHARS * 2
    getters = pipeline.vocab.lex_attr_getters
    if lang == "ru":
        getters[LIKE_NUM] = ru_like_num
    needed = lexattrs.pattern_attrs(p for rule in ruleset().for_lang(lang) for p in rule.parts)
    pipeline.vocab.lex_attr_getters = lexattrs.lean_getters(getters, needed)
    faster_affixes(pipeline.tokenizer)
    drop_inert_specials(pipeline.tokenizer)
    pipeline.tokenizer.max_cache_size = TOKENIZER_CACHE
    pipeline.add_pipe("kuzet_normalizer")
    pipeline.add_pipe("kuzet_sentences")
    pipeline.add_pipe("kuzet_topics")
    pipeline.get_pipe("kuzet_topics").initialize_rules(ruleset())
    _add_legal(pipeline)
    return pipeline


_RU_NUMBER_WORDS = frozenset(ru_lex_attrs._num_words)


def ru_like_num(text: str) -> bool:
    """spaCy's Russian `like_num` (spacy/lang/ru/lex_attrs.py) with its number words in a set.

    spaCy keeps the ~900 words in a list and scans it for every new word form the tokenizer
    meets, a tenth of the tokenizer's time on real text; the answers are the same.
    A word of letters only (most new forms) goes straight to the number-word lookup: none of
    the signs, separators or digits the other tests look for can be in it.
    """
    if text.isalpha():
        return text.lower() in _RU_NUMBER_WORDS
    if text.startswith(("+", "-", "±", "~")):
        text = text[1:]
    if text.endswith("%"):
        text = text[:-1]
    text = text.replace(",", "").replace(".", "")
    if text.isdigit():
        return True
    if text.count("/") == 1:
        num, denom = text.split("/")
        if num.isdigit() and denom.isdigit():
            return True
    return text.lower() in _RU_NUMBER_WORDS


def warm_up() -> None:
    """Load every pipeline, its rules and dictionaries now (they load on first use anyway)."""
    for lang in langid.LANGS:
        build_nlp(lang)("Тест. Test.")


def _add_legal(pipeline: Language) -> None:
    pipeline.add_pipe("kuzet_legal")
    legal.initialize_legal(pipeline, patterns=ruleset().legal)


def clean(text: str) -> str:
    """Text as the NLP stage reads it: markup and control characters replaced by spaces.

    Replacements keep every character's offset, so evidence offsets point into the input.
    """
    text = _TAGS.sub(lambda m: " " * len(m.group()), text)
    return _CONTROL.sub(" ", text)


def chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split `text[start:end]` into pieces of at most CHUNK_CHARS at line or space breaks."""
    pieces = []
    while end - start > CHUNK_CHARS:
        cut = text.rfind("\n", start, start + CHUNK_CHARS)
        if cut <= start:
            cut = text.rfind(" ", start, start + CHUNK_CHARS)
        if cut <= start:
            cut = start + CHUNK_CHARS
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def analyze(text: str, lang: str | None = None) -> Analysis:
    """Detect the language (per paragraph where ru and kk mix), flag topics, find legal refs.

    `lang` is a hint, used only where the text itself says too little. Offsets in the
    evidence refer to `text`.
    """
    truncated = len(text) > MAX_CHARS
    text = clean(text[:MAX_CHARS])
    runs = langid.segments(text, lang) if text.strip() else []
    doc_lang = _main_lang(runs, lang)
    matches: dict[str, list[dict[str, Any]]] = {label: [] for label in _topics.TOPIC_LABELS}
    legal_refs: list[dict[str, Any]] = []
    lemma_parts: list[str] = []
    for run_lang, run_start, run_end in runs:
        pipeline = build_nlp(run_lang)
        for start, end in chunks(text, run_start, run_end):
            doc = _run(pipeline, text[start:end])
            for label, found in doc._.kuzet_matches.items():
                matches[label] += [_shift(ev, start) for ev in found]
            legal_refs += [_shift(ref, start) for ref in legal.legal_references(doc)]
            lemma_parts.append(pipeline.get_pipe("kuzet_normalizer").search_text(doc))
    topics = _topics.score_matches(matches, ruleset().thresholds)
    lemmas = " ".join(p for p in lemma_parts if p)
    return Analysis(doc_lang, topics, legal_refs, lemmas, truncated=truncated)


def _run(pipeline: Language, text: str) -> Any:
    """`pipeline(text)`, with the text left in `user_data` for components that need it."""
    doc = pipeline.make_doc(text)
    doc.user_data[TEXT_KEY] = text
    for _name, component in pipeline.pipeline:
        doc = component(doc)
    return doc


def _main_lang(runs: list[tuple[str, int, int]], hint: str | None) -> str:
    if not runs:
        return hint if hint in langid.LANGS else "ru"
    sizes: dict[str, int] = {}
    for run_lang, start, end in runs:
        sizes[run_lang] = sizes.get(run_lang, 0) + end - start
    return max(sizes, key=lambda k: sizes[k])


def _shift(item: dict[str, Any], offset: int) -> dict[str, Any]:
    if not offset:
        return item
    shifted = dict(item)
    for key in ("start", "end", "start_char", "end_char"):
        if key in shifted:
            shifted[key] += offset
    return shifted


def normalize_word(word: str, lang: str) -> str:
    """One word as the pipeline for `lang` writes it to the search index (for queries)."""
    return _normalizer.search_form(_normalizer.BACKENDS[lang](word) or word.lower(), lang)
