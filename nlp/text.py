"""Helpers every NLP component shares for reading text: the Doc's own text, code points."""

from __future__ import annotations

import numpy
from spacy.tokens import Doc

#: `doc.user_data` key under which a caller may leave the Doc's text (saves rebuilding it).
TEXT_KEY = "kuzet_text"


def doc_text(doc: Doc) -> str:
    """The text a Doc was made from: the one `nlp.pipeline` left under TEXT_KEY (no copy to
    build), else `Doc.text`."""
    return doc.user_data.get(TEXT_KEY) or doc.text


def code_points(text: str) -> numpy.ndarray:
    """The code points of `text` as an array of little-endian uint32 (lone surrogates
    included, one per character, so positions are string offsets)."""
    return numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
