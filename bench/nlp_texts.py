"""Benchmark texts for the NLP stage, generated at run time from a word-frequency model of the
labelled dev corpus, and a check that they look like it.

Why generated, and why this way: the speed targets compare our annotate step with spaCy's bare
tokenizer on the same texts, and both costs depend on the vocabulary. The tokenizer keeps a
cache per whitespace-separated chunk and a lexeme per new word form; our normaliser keeps one
per word form too. Texts drawn from a few hundred forms (what the benchmark used before) are
all cache hits for both and say nothing about real news, where new word forms keep arriving
(Heaps' law) and most forms are rare (Zipf's law). So the texts here follow a model fitted to
real text:

- The unit is the whitespace-separated chunk as it stands in `../shared/corpus/dev.jsonl`
  (171 real ru/kk/en news, NGO and legal excerpts), punctuation, quotes, numbers and
  hyphenated compounds included, so the tokenizer splits what it would split in real text.
  Only chunk frequencies are read, at run time; no sentence of the corpus is reproduced.
- Per language, a Pitman-Yor process (discount `d`, concentration `theta`, fitted to the
  corpus chunks by maximum likelihood) starts from the corpus counts and keeps drawing: a known
  chunk in proportion to its count less `d`, a new one with probability `(theta + d*K)/(theta
  + N)`. That gives a power-law frequency spectrum whose vocabulary grows as in the corpus,
  extrapolated to the benchmark's size: frequent forms stay the short function words of real
  text, and about a fifth of the types seen at 100k words are new.
- A new chunk copies the shape of a random corpus hapax (leading and trailing punctuation,
  capitals, hyphens, digits) and gets a new word from a character 4-gram model of the corpus
  words of that language (digits become random digits), so word lengths, endings and scripts
  look like the language's. Such words are mostly unknown to pymorphy3, which makes them costly
  for both our normaliser and the stock lemmatizer; the check below prints the share.
- Sentences start with a capital after a sentence end; paragraph lengths are drawn from the
  corpus's; documents have 300-600 chunks (words). A third of them get topic phrases (written
  for this benchmark) so that the topic scorer, evidence and legal patterns are exercised.

`python bench/nlp_texts.py` prints the check: corpus against generated text, per language.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kuzet.documents import NewDocument

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev.jsonl"
SEED = 20240611
SHARES = (("ru", 0.5), ("kk", 0.25), ("en", 0.25))
TOPIC_SHARE = 0.3
ORDER = 4  # character n-gram order of the model that spells new words
_SENT_END = re.compile(r"[.!?…][\"'»”’)\]]*$")
_FRAME = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC_WORD = re.compile(r"[а-яё]+")
# Topic phrases ("|"-separated; sogi, hate_crime, anti_discrimination split by ";"), written for
# this benchmark, go into TOPIC_SHARE of the documents.
TOPIC_PHRASES = {
    "ru": "ЛГБТ-активисты|пропаганда нетрадиционных сексуальных отношений|однополые браки|права "
    "геев и лесбиянок|трансгендерные люди;возбуждение социальной, национальной розни|статье 174 "
    "Уголовного кодекса|преступления на почве ненависти|погром;дискриминация по признаку пола|"
    "равные права и возможности|запрет дискриминации|дискриминации по возрасту",
    "kk": "ЛГБТ қауымдастығы|жыныстық бағдар|бір жынысты некелер|ЛГБТ насихаты;ұлттық алауыздықты "
    "қоздыру|Қылмыстық кодекстің 174-бабы|әлеуметтік өшпенділік|нәсілдік араздық;кемсітушілікке "
    "жол берілмейді|гендерлік теңдік|тең құқықтар мен мүмкіндіктер|жынысы бойынша кемсіту",
    "en": "LGBT rights|same-sex couples|sexual orientation and gender identity|transgender people;"
    "hate crimes|incitement of ethnic hatred|racist attacks|bias-motivated violence;"
    "discrimination on grounds of sex|equal rights and opportunities|anti-discrimination law",
}


def read_corpus(path: Path) -> dict[str, list[list[list[str]]]]:
    """Per language, each item's paragraphs as lists of chunks (title first, as a paragraph)."""
    out: dict[str, list[list[list[str]]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        paragraphs = [item.get("title") or "", *re.split(r"\n\s*\n?", item["text"])]
        out[item["lang"]].append([p.split() for p in paragraphs if p.split()])
    return out


def _sentence_case(chunks: list[str], known: set[str]) -> list[str]:
    """Chunks with a sentence-initial capital undone where the lower-case form also occurs."""
    out, start = [], True
    for chunk in chunks:
        lowered = chunk[:1].lower() + chunk[1:]
        out.append(lowered if start and lowered != chunk and lowered in known else chunk)
        start = bool(_SENT_END.search(chunk))
    return out


def fit_pitman_yor(counts: list[int]) -> tuple[float, float]:
    """Maximum-likelihood discount and concentration of a Pitman-Yor process for `counts`
    (the exchangeable partition probability, maximised on a grid)."""
    n, k = sum(counts), len(counts)
    spectrum = Counter(counts)

    def loglik(d: float, theta: float) -> float:
        new = (k - 1) * math.log(d) + math.lgamma(theta / d + k) - math.lgamma(theta / d + 1)
        seat = math.lgamma(theta + n) - math.lgamma(theta + 1)
        old = sum(m * (math.lgamma(c - d) - math.lgamma(1 - d)) for c, m in spectrum.items())
        return new - seat + old

    grid = [(d / 100, 10 ** (t / 20)) for d in range(5, 96) for t in range(-20, 81)]
    best = max(grid, key=lambda p: loglik(*p))
    d0, t0 = best  # refine around the best grid point
    fine = [
        (d0 + dd / 1000, t0 * 10 ** (dt / 200)) for dd in range(-10, 11) for dt in range(-10, 11)
    ]
    return max((p for p in fine if 0 < p[0] < 1), key=lambda p: loglik(*p))


class Speller:
    """Character n-gram model of a language's words (lower case), for spelling new ones."""

    def __init__(self, words: list[str], order: int = ORDER) -> None:
        self.order = order
        self.next: dict[str, tuple[list[str], list[int]]] = {}
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for word in words:
            padded = "^" * (order - 1) + word + "$"
            for i in range(order - 1, len(padded)):
                for size in range(order):  # every shorter context too, for back-off
                    counts[padded[i - size : i]][padded[i]] += 1
        for context, following in counts.items():
            letters = list(following)
            self.next[context] = (letters, [*_cumsum(following[c] for c in letters)])

    def spell(self, rng: random.Random, max_len: int = 24) -> str:
        """One word, letter by letter, backing off to shorter contexts where needed."""
        out = "^" * (self.order - 1)
        while len(out) < max_len + self.order:
            for size in range(self.order - 1, -1, -1):
                context = out[len(out) - size :] if size else ""
                if context in self.next:
                    letters, cum = self.next[context]
                    break
            letter = letters[bisect.bisect(cum, rng.random() * cum[-1])]
            if letter == "$":
                break
            out += letter
        return out[self.order - 1 :]


class Inflector:
    """Russian only: other dictionary forms of corpus words (pymorphy3 lexemes), because new
    forms in real Russian text are mostly dictionary words, which pymorphy3 finds by lookup,
    while spelled words go through its slower guesser. `share` of new words come from here,
    so that new forms are about as often dictionary words as the corpus's hapaxes are."""

    def __init__(self, words: list[str], speller: Speller, rng: random.Random) -> None:
        import pymorphy3

        self.morph = pymorphy3.MorphAnalyzer(lang="ru")
        self.words = sorted({w for w in words if _CYRILLIC_WORD.fullmatch(w)})
        self.lexemes: dict[str, list[str]] = {}
        hapax_known = self.known_share([w for w in words if words.count(w) == 1])
        spelled_known = self.known_share([speller.spell(rng) for _ in range(500)])
        self.share = max(0.0, (hapax_known - spelled_known) / (1 - spelled_known))

    def known_share(self, words: list[str]) -> float:
        """Share of the Cyrillic words in `words` that pymorphy3's dictionary holds."""
        cyrillic = [w for w in words if _CYRILLIC_WORD.fullmatch(w)]
        return sum(map(self.morph.word_is_known, cyrillic)) / max(1, len(cyrillic))

    def inflect(self, rng: random.Random) -> str:
        """A random form of the lexeme of a random corpus word."""
        word = rng.choice(self.words)
        if word not in self.lexemes:
            forms = {p.word for p in self.morph.parse(word)[0].lexeme}
            self.lexemes[word] = sorted(forms)
        return rng.choice(self.lexemes[word])


def _cumsum(values: object) -> list[int]:
    total, out = 0, []
    for v in values:  # type: ignore[attr-defined]
        total += v
        out.append(total)
    return out


def _case_like(word: str, model: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


@dataclass
class LanguageModel:
    """A growing Pitman-Yor model of one language's chunks, seeded with the corpus counts."""

    lang: str
    d: float
    theta: float
    speller: Speller
    shapes: list[str]  # corpus hapaxes: the shapes new chunks copy
    paragraph_sizes: list[int]
    inflector: Inflector | None = None
    tokens: list[int] = field(default_factory=list)  # one type id per drawn chunk
    forms: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit(cls, lang: str, items: list[list[list[str]]]) -> LanguageModel:
        """Fit the process and the speller to one language's corpus items."""
        raw = [c for item in items for para in item for c in para]
        known = set(raw)
        chunks = [c for item in items for para in item for c in _sentence_case(para, known)]
        counts = Counter(chunks)
        d, theta = fit_pitman_yor(list(counts.values()))
        cores = [_FRAME.match(c).group(2).lower() for c in counts]  # type: ignore[union-attr]
        words = [p for core in cores for p in core.split("-") if p and p.isalpha()]
        speller = Speller(words)
        model = cls(
            lang,
            d,
            theta,
            speller,
            shapes=sorted(c for c, n in counts.items() if n == 1),
            paragraph_sizes=[len(p) for item in items for p in item[1:]],
        )
        if lang == "ru":
            hapaxes = [_FRAME.match(c).group(2).lower() for c in model.shapes]  # type: ignore[union-attr]
            model.inflector = Inflector(hapaxes + words, speller, random.Random(f"{SEED}:{lang}"))
        for chunk in chunks:
            model._add(chunk)
        return model

    def _add(self, form: str) -> int:
        type_id = self.index.get(form)
        if type_id is None:
            type_id = self.index[form] = len(self.forms)
            self.forms.append(form)
            self.counts.append(0)
        self.counts[type_id] += 1
        self.tokens.append(type_id)
        return type_id

    def draw(self, rng: random.Random) -> str:
        """The next chunk: a known one in proportion to (count - d), else a new one."""
        n, k = len(self.tokens), len(self.forms)
        if rng.random() * (self.theta + n) < self.theta + self.d * k:
            return self.forms[self._add(self._new_form(rng))]
        while True:  # a seat chosen uniformly, kept with probability (count - d) / count
            type_id = self.tokens[int(rng.random() * n)]
            if rng.random() * self.counts[type_id] < self.counts[type_id] - self.d:
                self.counts[type_id] += 1
                self.tokens.append(type_id)
                return self.forms[type_id]

    def _new_form(self, rng: random.Random) -> str:
        """A chunk shaped like a random corpus hapax, with new letters and digits."""
        inflect = self.inflector is not None and rng.random() < self.inflector.share
        shape = rng.choice(self.shapes)
        for _attempt in range(50):  # a new form, unless 50 tries all hit known ones
            lead, core, trail = _FRAME.match(shape).groups()  # type: ignore[union-attr]
            parts = []
            for part in core.split("-"):
                if _LETTER.search(part) and not any(ch.isdigit() for ch in part):
                    parts.append(_case_like(self._spell(rng, part, inflect), part))
                else:
                    parts.append(
                        "".join(str(rng.randrange(10)) if c.isdigit() else c for c in part)
                    )
            form = lead + "-".join(parts) + trail
            if form not in self.index:
                break
        return form

    def _spell(self, rng: random.Random, model: str, inflect: bool) -> str:
        if inflect and self.inflector and _CYRILLIC_WORD.fullmatch(model.lower()):
            return self.inflector.inflect(rng)
        return self.speller.spell(rng)

    def paragraph(self, rng: random.Random, budget: int) -> list[str]:
        """Chunks of one paragraph (at most `budget`), ending on a sentence end."""
        size = min(budget, max(3, rng.choice(self.paragraph_sizes)))
        out: list[str] = []
        start = True
        while len(out) < size:
            chunk = self.draw(rng)
            if start:
                chunk = chunk[:1].upper() + chunk[1:]
            out.append(chunk)
            start = bool(_SENT_END.search(chunk))
        if not start:
            out[-1] = out[-1].rstrip(",;:—–-") + "."
        return out


def models(corpus: Path = DEFAULT_CORPUS) -> dict[str, LanguageModel]:
    """One fitted model per language of the corpus."""
    items = read_corpus(corpus)
    return {lang: LanguageModel.fit(lang, items[lang]) for lang, _share in SHARES}


def make_docs(
    n: int, corpus: Path = DEFAULT_CORPUS, fitted: dict[str, LanguageModel] | None = None
) -> list[NewDocument]:
    """`n` documents of 300-600 words, ru 50 %, kk 25 %, en 25 %, in a fixed random order."""
    rng = random.Random(f"{SEED}:docs")
    fitted = fitted or models(corpus)
    docs = []
    for i in range(n):
        lang = rng.choices([s[0] for s in SHARES], [s[1] for s in SHARES])[0]
        model, size = fitted[lang], rng.randint(300, 600)
        paragraphs: list[list[str]] = []
        while (used := sum(map(len, paragraphs))) < size:
            paragraphs.append(model.paragraph(rng, size - used))
        if rng.random() < TOPIC_SHARE:
            _insert_phrases(rng, lang, paragraphs)
        title = " ".join(model.draw(rng) for _ in range(rng.randint(5, 12))).rstrip(".,;:")
        text = "\n\n".join(" ".join(p) for p in paragraphs)
        url = f"https://bench.example/{lang}/{i}"
        docs.append(
            NewDocument(url, text, f"bench-{lang}", title=title[:1].upper() + title[1:], lang=lang)
        )
    return docs


def _insert_phrases(rng: random.Random, lang: str, paragraphs: list[list[str]]) -> None:
    phrases = rng.choice(TOPIC_PHRASES[lang].split(";")).split("|")
    for phrase in rng.choices(phrases, k=rng.randint(1, 4)):
        words = phrase.split()
        para = rng.choice(paragraphs)
        pos = rng.randrange(max(1, len(para) - len(words)))
        para[pos : pos + len(words)] = words


def _profile(chunks: list[str]) -> dict[str, float]:
    """Surface statistics of a chunk sequence (shares in %)."""
    n = len(chunks) or 1
    counts = Counter(chunks)
    return {
        "chunks": len(chunks),
        "forms": len(counts),
        "hapax %": 100 * sum(1 for c in counts.values() if c == 1) / max(1, len(counts)),
        "mean length": sum(map(len, chunks)) / n,
        "digits %": 100 * sum(1 for c in chunks if any(ch.isdigit() for ch in c)) / n,
        "hyphen %": 100 * sum(1 for c in chunks if "-" in c.strip("-–—")) / n,
        "quotes %": 100 * sum(1 for c in chunks if re.search(r"[\"«»“”„'’]", c)) / n,
        "punct end %": 100 * sum(1 for c in chunks if re.search(r"\W$", c)) / n,
        "sentence end %": 100 * sum(1 for c in chunks if _SENT_END.search(c)) / n,
    }


def check(corpus: Path, n_docs: int) -> None:
    """Print corpus against generated text, per language (the realism check)."""
    fitted = models(corpus)
    seeded = {lang: (len(m.tokens), len(m.forms)) for lang, m in fitted.items()}
    make_docs(n_docs, corpus, fitted)
    print(f"== benchmark texts ({n_docs} docs) against the corpus {corpus} ==")
    for lang, model in fitted.items():
        start, corpus_forms = seeded[lang]
        real = _profile([model.forms[t] for t in model.tokens[:start]])
        made = [model.forms[t] for t in model.tokens[start:]]
        gen = _profile(made)
        growth = {
            size: len(set(model.tokens[start : start + size]))
            for size in (start, 10 * start, len(made))
        }
        print(f"\n{lang}: Pitman-Yor d = {model.d:.3f}, theta = {model.theta:.1f}")
        print(f"{'':<16}{'corpus':>12}{'generated':>12}")
        for key in real:
            print(f"{key:<16}{real[key]:>12,.1f}{gen[key]:>12,.1f}")
        print(
            "forms in the first N generated chunks: "
            + ", ".join(f"{size:,} -> {v:,}" for size, v in growth.items())
        )
        if model.inflector:
            known = model.inflector.known_share

            def words(forms: list[str]) -> list[str]:
                return [_FRAME.match(f).group(2).lower() for f in forms]  # type: ignore[union-attr]

            print(
                "Cyrillic word forms in pymorphy3's dictionary: "
                f"corpus {100 * known(words(model.forms[:corpus_forms])):.0f} %, "
                f"new generated forms {100 * known(words(model.forms[corpus_forms:])):.0f} %"
            )


if __name__ == "__main__":
    corpus_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    if not corpus_path.is_file():
        sys.exit(f"{corpus_path}: not found; the benchmark texts are modelled on it")
    check(corpus_path, 2000)
