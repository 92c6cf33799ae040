"""Kazakh for spaCy (`spacy.blank("kk")`), a rule-based stemmer and Latin-to-Cyrillic mapping.

Tokenizer: hyphens between letters or digits are infixes, so `ЛГБТ-қауымдастық` gives
`ЛГБТ` `-` `қауымдастық` and `174-бап` gives `174` `-` `бап`; «» are punctuation.

`stem` strips suffixes listed in `data/lexicons/kk_suffixes.txt` from the right. The file's
groups give the morphotactic order (case, possessive, plural, derivation, verb, negation,
voice); the code adds which letter may precede a suffix. Of all analyses that respect both,
the one leaving the shortest stem wins. Stems keep at least 3 letters and a vowel, and a
final ғ/г/б is written қ/к/п (`теңдігі` and `теңдік` both reach `тең`; `құқығы` -> `құқық`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import ClassVar

import spacy
from spacy.attrs import LIKE_NUM
from spacy.lang import char_classes as cc
from spacy.lang.tokenizer_exceptions import BASE_EXCEPTIONS
from spacy.language import BaseDefaults, Language
from spacy.symbols import ORTH
from spacy.util import update_exc

from nlp.lexicons import LEXICONS, load_lexicon

STOPWORDS_PATH = LEXICONS / "kk_stopwords.txt"
SUFFIXES_PATH = LEXICONS / "kk_suffixes.txt"
MIN_STEM = 3
EMPTY: frozenset[str] = frozenset()

# --- tokenizer --------------------------------------------------------------------------------

_AL, _AU = cc.ALPHA_LOWER + "әғқңөұүһі", cc.ALPHA_UPPER + "ӘҒҚҢӨҰҮҺІ"
_A = cc.ALPHA + _AL + _AU
_PREFIXES = ["§", "%", "=", "—", "–", r"\+(?![0-9])", *cc.LIST_PUNCT, *cc.LIST_ELLIPSES]
_PREFIXES += cc.LIST_QUOTES
_SUFFIXES = [
    *cc.LIST_PUNCT, *cc.LIST_ELLIPSES, *cc.LIST_QUOTES, *cc.LIST_ICONS, "—", "–",
    r"(?<=[0-9])\+", rf"(?<=[0-9])(?:{cc.CURRENCY})", rf"(?<=[0-9])(?:{cc.UNITS})",
    rf"(?<=[0-9{_AL}%²\-\+{cc.PUNCT}(?:{cc.CONCAT_QUOTES})])\.", rf"(?<=[{_AU}][{_AU}])\.",
]  # fmt: skip
_INFIXES = [
    *cc.LIST_ELLIPSES, *cc.LIST_ICONS, r"(?<=[0-9])[+\-\*^](?=[0-9-])",
    rf"(?<=[{_AL}{cc.CONCAT_QUOTES}])\.(?=[{_AU}{cc.CONCAT_QUOTES}])", rf"(?<=[{_A}]),(?=[{_A}])",
    rf"(?<=[{_A}0-9])(?:{cc.HYPHENS})(?=[{_A}])", rf"(?<=[{_A}0-9])[:<>=/](?=[{_A}])",
]  # fmt: skip
# "т.б." and "т.с.с." are "etc."; "ж." and "жж." follow years.
_ABBREVIATIONS = ("т.б.", "т.с.с.", "ж.", "жж.", "млн.", "млрд.")
_NUMBER_WORDS = frozenset((
    "нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз", "он", "жиырма",
    "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан", "жүз", "мың", "миллион",
    "миллиард",
))  # fmt: skip
_ORDINAL = re.compile(r"^(?:\d+|[а-яәғқңөұүһі]+)(?:-?(?:ыншы|інші|ншы|нші|шы|ші))$")


def like_num(text: str) -> bool:
    """Whether a token reads as a number: digits, a fraction, a number word or an ordinal."""
    text = text.lstrip("+-±~").replace(",", "").replace(".", "").lower()
    if text.isdigit() or text in _NUMBER_WORDS:
        return True
    num, _, denom = text.partition("/")
    if num.isdigit() and denom.isdigit():
        return True
    match = _ORDINAL.match(text)
    return bool(match) and (text[0].isdigit() or any(text.startswith(w) for w in _NUMBER_WORDS))


class KazakhDefaults(BaseDefaults):
    """Tokenizer rules, stop words and lexical attributes for Kazakh."""

    stop_words: ClassVar[set[str]] = set(load_lexicon(STOPWORDS_PATH))
    tokenizer_exceptions = update_exc(BASE_EXCEPTIONS, {a: [{ORTH: a}] for a in _ABBREVIATIONS})
    prefixes = _PREFIXES
    suffixes = _SUFFIXES
    infixes = _INFIXES
    lex_attr_getters: ClassVar[dict[int, Callable[[str], bool]]] = {LIKE_NUM: like_num}


@spacy.registry.languages("kk")
class Kazakh(Language):
    """Kazakh (no trained pipeline: tokenizer, stop words and `like_num` only)."""

    lang = "kk"
    Defaults = KazakhDefaults


# --- stemmer ----------------------------------------------------------------------------------

_VOWELS = frozenset("аәеёиоөұүыіэюя")
_VOICELESS = frozenset("кқпстфхһцчшщ")
_OBSTRUENTS = frozenset("бвгғджзкқпстфхһцчшщ")
_FINAL_CLUSTERS = frozenset({"ст", "кт", "шт"})  # loans: текст, акт
_DEVOICE = {"ғ": "қ", "г": "к", "б": "п"}
_VOICED = frozenset("лмнңзжруй")
_CONSONANTS = _OBSTRUENTS | _VOICED
# Which letter may stand before a suffix, by the suffix's first letter (None: any).
_BEFORE: dict[str, frozenset[str] | None] = {"б": frozenset("жзмнң"), "у": None, "ю": None}
_BEFORE |= {"л": _VOWELS | set("руй"), "м": _VOWELS | set("лруй"), "н": _VOWELS | set("мнң")}
_BEFORE |= dict.fromkeys("ңй", _VOWELS) | dict.fromkeys("ғг", _VOWELS | _VOICED)
_BEFORE |= dict.fromkeys("тқкп", _VOICELESS | set("бвгд"))
# -на, -нда, -н follow a 3rd person possessive (ы/і); -сы a vowel; relative -ғы a consonant.
_SPECIAL_BEFORE = dict.fromkeys(("н", "на", "не", "нда", "нде", "ндағы", "ндегі"), frozenset("ыі"))
_SPECIAL_BEFORE |= {"сы": _VOWELS, "сі": _VOWELS, "ғы": _VOICED}
_SPECIAL_BEFORE |= {"гі": _VOICED, "қы": _VOICELESS, "кі": _VOICELESS}
# A group may follow (further inside the word) only these groups; unlisted groups: any.
_ONLY_AFTER = {"negation": frozenset({"verb"}), "voice": frozenset({"verb", "negation", "voice"})}
_REPEATABLE = frozenset({"derivation", "voice"})
_CYRILLIC_WORD = re.compile(r"^[а-яёәғқңөұүһі]+$")


def load_suffixes(path: Path) -> dict[str, tuple[str, ...]]:
    """Suffix groups of a suffix file, in file order: `# [name]` comments open a group."""
    groups: dict[str, list[str]] = {}
    current = groups.setdefault("default", [])
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if header := re.match(r"#\s*\[(\w+)\]", line):
            current = groups.setdefault(header[1], [])
        elif line and not line.startswith("#"):
            current.append(line.lower())
    return {name: tuple(items) for name, items in groups.items() if items}


def _fits(rest: str, suffix: str) -> bool:
    """Whether `suffix` may follow `rest` (harmony of the first letter, voicing, clusters)."""
    prev, first = rest[-1], suffix[0]
    if suffix in ("а", "е"):  # dative after 1st/2nd person possessive only: еліме, ісіңе
        return prev in "мң" and rest[-2] in "ыі"
    if suffix in _SPECIAL_BEFORE:
        allowed = _SPECIAL_BEFORE[suffix]
    elif len(suffix) == 1 and first not in _VOWELS and first not in "уюн":
        if len(rest) <= MIN_STEM:  # -м, -ң, -л, -п: a vowel before, 4 letters (адам stays)
            return False
        allowed = _VOWELS
    elif first in _VOWELS:
        allowed = _CONSONANTS
    elif first == "д":
        return prev not in _VOICELESS and prev not in "ғг"
    else:
        allowed = _BEFORE.get(first)
    if allowed is not None and prev not in allowed:
        return False
    if prev in "ғг" and first not in _VOWELS and first not in "тқкп":
        return False
    clustered = rest[-2] in _OBSTRUENTS and prev in _OBSTRUENTS
    return not clustered or rest[-2:] in _FINAL_CLUSTERS


def _cost(stem: str) -> int:
    """Rank of a candidate stem: shorter is better, but few stems end in ы/і (жынысы: жыныс)."""
    return len(stem) + 2 * (stem[-1] in "ыі")


class Stemmer:
    """Rule-based Kazakh suffix stripper over a table of suffix groups."""

    def __init__(self, groups: dict[str, tuple[str, ...]], stop_words: frozenset[str] = EMPTY):
        self.order = list(groups)
        self.by_suffix: dict[str, list[int]] = {}
        for index, name in enumerate(self.order):
            for suffix in groups[name]:
                self.by_suffix.setdefault(suffix, []).append(index)
        self.longest = max(map(len, self.by_suffix), default=0)
        self.voice = self.order.index("voice") if "voice" in self.order else len(self.order)
        self.stop_words = stop_words

    def _allowed(self, index: int, last: int) -> bool:
        if last < 0:
            return self.order[index] not in _ONLY_AFTER
        name, prev = self.order[index], self.order[last]
        if index < last or (index == last and name not in _REPEATABLE):
            return False
        return prev in _ONLY_AFTER.get(name, {prev})

    def _best(self, word: str, last: int) -> str:
        best = word
        by_suffix = self.by_suffix
        for size in range(min(self.longest, len(word) - MIN_STEM), 0, -1):
            rest, suffix = word[:-size], word[-size:]
            if suffix not in by_suffix or _VOWELS.isdisjoint(rest) or not _fits(rest, suffix):
                continue
            if suffix[0] in _VOWELS and rest[-1] in _DEVOICE:
                rest = rest[:-1] + _DEVOICE[rest[-1]]
            elif suffix == "ю":
                rest += "й"
            for index in by_suffix[suffix]:
                # a voice suffix leaves 4 letters: мектеп is not мек-те-п
                if self._allowed(index, last) and (len(rest) > MIN_STEM or index < self.voice):
                    best = min(best, self._best(rest, index), key=_cost)
        return best

    def stem(self, word: str) -> str:
        """Stem of one word; stop words, short and non-Cyrillic words come back lower-cased."""
        word = word.lower().replace("ё", "е")
        if word in self.stop_words or not _CYRILLIC_WORD.match(word):
            return word
        found = self._best(word, -1)
        return found[:-1] + _DEVOICE[found[-1]] if found[-1] in _DEVOICE else found


@cache
def default_stemmer() -> Stemmer:
    """The stemmer over the project's suffix and stop-word lexicons (loaded once)."""
    return Stemmer(load_suffixes(SUFFIXES_PATH), load_lexicon(STOPWORDS_PATH))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem of one Kazakh word with the default suffix table: `бағдарлардың` -> `бағдар`."""
    return default_stemmer().stem(word)


# --- Latin script -----------------------------------------------------------------------------

_COMMON = dict(zip("abdefghjklmnopqrstvwxyz", "абдефгхжклмнопқрствухыз", strict=True))
_COMMON |= dict(zip("cäğñöşçūüáǵńóúý", "цәғңөшчұүәғңөүу", strict=True))
# Letters whose value differs between the 2021 and 2018 alphabets and informal spelling, and
# what "й" becomes when no vowel precedes it (и in the alphabets, і in informal spelling).
_VARIANTS = {
    "2021": ({"u": "у", "ı": "і", "i": "й", "İ": "й"}, {}, "и"),
    "2018": ({"u": "ұ", "i": "і", "ı": "й"}, {"sh": "ш", "ch": "ч"}, "и"),
    "informal": (
        {"u": "у", "i": "й", "ı": "і"},
        {"sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "gh": "ғ", "ng": "ң"},
        "і",
    ),
}
_MARKS_2018 = frozenset("áǵńóúýÁǴŃÓÚÝ")
_MARKS_2021 = frozenset("äğñöşçūüıİÄĞÑÖŞÇŪÜ")
_LATIN_VOWELS = frozenset("aeiouyäöüūáóúýı")
_KK_LATIN = re.compile(r"[äğñöşūüáǵńóúýı]|q(?!u)")
_KK_ENDING = re.compile(
    r"(?:[ld]ar|[ldt]er|tar|lary|leri|[dnt][yi][nñń]|[gqkǵğ][ae]|[dnt][ae]n|[dt][ae][gǵğ][yi]"
    r"|[ldt][yi][qk])$"
)
_EN_FUNCTION = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "it", "not", "of", "on", "or", "said", "that", "the", "their", "they", "this", "to", "was",
    "were", "which", "who", "will", "with", "would",
))  # fmt: skip
_EN_ENDING = re.compile(r"\w{3}(?:ed|ing|tion|ment|ers|ies|ness|ship)$")
_LATIN_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)


def _variant(text: str) -> str:
    if _MARKS_2018.intersection(text):
        return "2018"
    return "2021" if _MARKS_2021.intersection(text) else "informal"


def latin_to_cyrillic(text: str, variant: str | None = None) -> str:
    """Kazakh Latin (2021, 2018 or informal spelling, guessed from `text`) in Cyrillic letters."""
    singles, digraphs, plain_i = _VARIANTS[variant or _variant(text)]
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if len(pair) == 2 and pair.lower() in digraphs:
            letter, upper, i = digraphs[pair.lower()], pair[0].isupper(), i + 2
        else:
            char = text[i]
            low = char if char == "İ" else char.lower()
            letter = singles.get(low) or _COMMON.get(low)
            upper, i = char.isupper(), i + 1
            if letter is None:
                out.append(char)
                continue
            if letter == "й" and not (i > 1 and text[i - 2].lower() in _LATIN_VOWELS):
                letter = plain_i
        out.append(letter.upper() if upper else letter)
    return "".join(out)


def looks_like_latin_kazakh(text: str) -> bool:
    """Whether Latin-script `text` reads as Kazakh rather than English (letters, words, endings)."""
    if _CYRILLIC.search(text):
        return False
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if not words:
        return False
    stop_words = default_stemmer().stop_words
    strong = sum(
        1
        for w in words
        if _KK_LATIN.search(w) or (len(w) > 3 and latin_to_cyrillic(w) in stop_words)
    )
    weak = sum(1 for w in words if len(w) > 4 and _KK_ENDING.search(w))
    english = sum(1 for w in words if w in _EN_FUNCTION or _EN_ENDING.search(w))
    if strong:
        return 2 * strong + weak > 3 * english and (strong + weak) / len(words) >= 0.15
    return weak >= 2 and english == 0 and weak / len(words) >= 0.4


def normalize_token(text: str) -> str:
    """Search key of one token: lower-cased, unquoted, Latin Kazakh in Cyrillic, stemmed."""
    word = text.lower().replace("i\u0307", "i").replace("ё", "е").strip("\"'«»„“”‘’`")
    if not _CYRILLIC.search(word) and looks_like_latin_kazakh(word):
        word = latin_to_cyrillic(word)
    return stem(word)
