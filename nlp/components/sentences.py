"""`kuzet_sentences`: spaCy's rule-based sentence boundaries, found from the marks in the text.

The boundaries are those of spaCy's `sentencizer` with its default punctuation: a sentence
starts at the first token, and at each word (a token neither punctuation nor a sentence-final
mark) that follows a sentence-final mark (`.`, `!`, `?` …) with only punctuation in between.
spaCy's component makes a Python Token object per word to find them. This one looks at the
text instead: only a token starting with a mark's first character can be a mark, and such
characters are a few in a hundred, so tokens are looked at only around them (`_starts`).
"""

from __future__ import annotations

import numpy
from spacy.attrs import IDX, SENT_START, SPACY
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

from nlp.text import code_points, doc_text


class SentenceSplitter:
    """Sets `token.is_sent_start` on every token, as spaCy's Sentencizer would."""

    def __init__(self, vocab: Vocab, punct_chars: list[str] | None = None) -> None:
        self.marks = frozenset(punct_chars or Sentencizer.default_punct_chars)
        # a table of the characters a mark starts with, by code point, and a last entry
        # (False) that every larger code point is clipped to
        firsts = [ord(mark[0]) for mark in self.marks if mark]
        self.first_chars = numpy.zeros(max(firsts, default=0) + 2, dtype=bool)
        self.first_chars[firsts] = True
        self.one_char_marks = all(len(mark) == 1 for mark in self.marks)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        sent_start = numpy.full(len(doc), -1, dtype="int64")
        sent_start[0] = 1
        sent_start[self._starts(doc)] = 1
        # spaCy reads attribute arrays as uint64 (as `Doc.to_array` gives -1 for SENT_START)
        doc.from_array([SENT_START], sent_start.view("uint64").reshape(-1, 1))
        return doc

    def _starts(self, doc: Doc) -> list[int]:
        """The words that follow a mark with only punctuation (or marks) in between.

        A token whose text is a mark starts where the text has a mark's first character, so
        the mark tokens are among the tokens starting at such a character (found with arrays
        of code points and token offsets); only these tokens, and the punctuation after each
        mark up to the next word, are read as Token objects. The text is the one the pipeline
        left in `user_data` (`nlp.pipeline._run`), which is the doc's text, else `doc.text`.
        """
        text = doc_text(doc)
        codes = code_points(text)
        bounds = doc.to_array([IDX, SPACY]).view("int64")  # each token's offset, whitespace
        token_starts = numpy.append(bounds[:, 0], len(text))
        first_chars = self.first_chars.take(codes[token_starts[:-1]], mode="clip")
        candidates = numpy.flatnonzero(first_chars)
        if self.one_char_marks:  # a mark token is one character: the next starts after it
            after = token_starts[candidates + 1] - bounds[candidates, 1]  # the token's end
            lengths = after - token_starts[candidates]
            mark_tokens = candidates[lengths == 1].tolist()
        else:
            mark_tokens = [i for i in candidates.tolist() if doc[i].text in self.marks]
        marks, size, starts = set(mark_tokens), len(doc), []
        walked = 0  # the tokens before this one are a mark or punctuation already walked past
        for i in mark_tokens:
            if i < walked:
                continue
            word = i + 1
            while word < size and (word in marks or doc[word].is_punct):
                word += 1
            if word < size:
                starts.append(word)
            walked = word
        return starts


@Language.factory(
    "kuzet_sentences",
    default_config={"punct_chars": None},
    assigns=["token.is_sent_start"],
)
def make_sentences(nlp: Language, name: str, punct_chars: list[str] | None) -> SentenceSplitter:
    """Factory: sentence boundaries by spaCy's sentencizer rules (default punctuation)."""
    return SentenceSplitter(nlp.vocab, punct_chars)
