"""`kuzet_sentences`: spaCy's rule-based sentence boundaries, set from arrays in one step.

The boundaries are those of spaCy's `sentencizer` with its default punctuation: a sentence
starts at the first token, and at each word (a token neither punctuation nor a sentence-final
mark) that follows a sentence-final mark (`.`, `!`, `?` …) with only punctuation in between.
spaCy's component makes a Python Token object per word to find them; this one compares arrays
of string hashes (`Doc.to_array`), which made it a tenth of the cost.
"""

from __future__ import annotations

import numpy
from spacy.attrs import IS_PUNCT, ORTH, SENT_START
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy.vocab import Vocab


class SentenceSplitter:
    """Sets `token.is_sent_start` on every token, as spaCy's Sentencizer would."""

    def __init__(self, vocab: Vocab, punct_chars: list[str] | None = None) -> None:
        chars = punct_chars or Sentencizer.default_punct_chars
        self.marks = frozenset(vocab.strings.add(c) for c in chars)
        # marks are looked for among punctuation tokens only, if every mark is punctuation
        self.punct_only = all(vocab[c].is_punct for c in chars)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        values = doc.to_array([ORTH, IS_PUNCT])
        candidates = numpy.flatnonzero(values[:, 1]) if self.punct_only else numpy.arange(len(doc))
        marks = self.marks
        orths = zip(candidates.tolist(), values[candidates, 0].tolist(), strict=True)
        mark = numpy.zeros(len(doc), dtype=bool)
        mark[[i for i, orth in orths if orth in marks]] = True
        words = numpy.flatnonzero(~mark & (values[:, 1] == 0))
        marks_so_far = numpy.cumsum(mark)
        # a word starts a sentence when a mark stands between it and the word before it
        before = numpy.concatenate(([0], marks_so_far[words[:-1]]))
        starts = words[marks_so_far[words] > before]
        sent_start = numpy.full(len(doc), -1, dtype="int64")
        sent_start[0] = 1
        sent_start[starts] = 1
        # spaCy reads attribute arrays as uint64 (as `Doc.to_array` gives -1 for SENT_START)
        doc.from_array([SENT_START], sent_start.view("uint64").reshape(-1, 1))
        return doc


@Language.factory(
    "kuzet_sentences",
    default_config={"punct_chars": None},
    assigns=["token.is_sent_start"],
)
def make_sentences(nlp: Language, name: str, punct_chars: list[str] | None) -> SentenceSplitter:
    """Factory: sentence boundaries by spaCy's sentencizer rules (default punctuation)."""
    return SentenceSplitter(nlp.vocab, punct_chars)
