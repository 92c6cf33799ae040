"""Topic rules as data: loading and validating `data/patterns/*.jsonl` and `topics.toml`.

A rule file holds one JSON object a line:

    {"id": "sogi.ru.lgbt", "label": "sogi", "lang": "ru", "weight": 3, "pattern": "ЛГБТ"}

- `pattern` is a phrase (normalised like the text, so it matches every inflected form) or a
  spaCy Matcher token list (`[{"LEMMA": {"IN": ["гей", "лесбиянка"]}}]`);
- `near` instead of `pattern`: a list of two or more phrases/token lists that must all occur
  within `window` tokens of each other (default 12);
- `effect: "exclude"`: the matched span cancels the label's other matches that overlap it (the
  known traps: "голубое топливо", "price discrimination", "propaganda of terrorism" …);
- a negative `weight` lowers the label's score (a context that argues against the topic).

`lang` is `ru`, `kk`, `en` or `any`. `topics.toml` gives each label its threshold.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PATTERNS_DIR = DATA_DIR / "patterns"
LEXICONS_DIR = DATA_DIR / "lexicons"
LEGAL_FILE = "legal.jsonl"
TOPIC_LABELS = ("sogi", "hate_crime", "anti_discrimination")
RULE_LANGS = ("ru", "kk", "en", "any")
_KEYS = {"id", "label", "lang", "weight", "pattern", "near", "window", "effect", "comment"}


class RuleError(ValueError):
    """Raised when a rule file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Rule:
    """One topic rule."""

    id: str
    label: str
    lang: str
    weight: float
    parts: tuple[str | list[dict[str, Any]], ...]
    near: bool = False
    window: int = 12
    exclude: bool = False


@dataclass
class RuleSet:
    """Every rule and threshold, plus the version hash of the files they came from."""

    rules: list[Rule] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    version: str = "empty"
    #: the legal-reference patterns (`legal.jsonl`), as `nlp.components.legal` reads them
    legal: list[dict[str, Any]] = field(default_factory=list)

    def for_lang(self, lang: str) -> list[Rule]:
        """The rules that apply to texts in `lang`."""
        return [r for r in self.rules if r.lang in (lang, "any")]


def rules_version(*dirs: Path, files: tuple[Path, ...] = ()) -> str:
    """Hash of every file under the given directories, then of the given `files` (names and
    bytes), 12 hex digits."""
    digest = hashlib.sha256()
    named = [
        (path, directory.parent)
        for directory in dirs
        for path in sorted(p for p in directory.rglob("*") if p.is_file())
    ]
    for path, root in [*named, *((path, path.parent.parent) for path in files)]:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _parse_pattern(value: Any, where: str) -> str | list[dict[str, Any]]:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(t, dict) and t for t in value):
        return value
    raise RuleError(f"{where}: a pattern must be a phrase or a non-empty list of token dicts")


def parse_rule(obj: Any, where: str) -> Rule:
    """Validate one decoded rule line."""
    if not isinstance(obj, dict):
        raise RuleError(f"{where}: expected a JSON object")
    unknown = set(obj) - _KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("id", "label", "lang"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise RuleError(f"{where}: missing {key!r}")
    if obj["label"] not in TOPIC_LABELS:
        raise RuleError(
            f"{where}: unknown label {obj['label']!r} (expected one of {', '.join(TOPIC_LABELS)})"
        )
    if obj["lang"] not in RULE_LANGS:
        raise RuleError(f"{where}: unknown lang {obj['lang']!r}")
    if ("pattern" in obj) == ("near" in obj):
        raise RuleError(f"{where}: give exactly one of 'pattern' or 'near'")
    if "near" in obj:
        if not isinstance(obj["near"], list) or len(obj["near"]) < 2:
            raise RuleError(f"{where}: 'near' needs a list of at least two patterns")
        parts = tuple(_parse_pattern(p, where) for p in obj["near"])
    else:
        parts = (_parse_pattern(obj["pattern"], where),)
    weight, window = obj.get("weight", 1.0), obj.get("window", 12)
    if not isinstance(weight, int | float) or isinstance(weight, bool):
        raise RuleError(f"{where}: 'weight' must be a number")
    if not isinstance(window, int) or not 1 <= window <= 200:
        raise RuleError(f"{where}: 'window' must be a whole number from 1 to 200")
    if obj.get("effect") not in (None, "exclude"):
        raise RuleError(f"{where}: unknown effect {obj['effect']!r} (only 'exclude')")
    return Rule(
        id=obj["id"],
        label=obj["label"],
        lang=obj["lang"],
        weight=float(weight),
        parts=parts,
        near="near" in obj,
        window=window,
        exclude=obj.get("effect") == "exclude",
    )


def load_rule_file(path: Path, seen: dict[str, str] | None = None) -> list[Rule]:
    """Load one `.jsonl` rule file; `seen` maps rule ids to where they were first defined."""
    seen = {} if seen is None else seen
    rules = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RuleError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
        rule = parse_rule(obj, where)
        if rule.id in seen:
            raise RuleError(f"{where}: duplicate id {rule.id!r} (first at {seen[rule.id]})")
        seen[rule.id] = where
        rules.append(rule)
    return rules


def load_thresholds(path: Path) -> dict[str, float]:
    """Read `topics.toml`: a `[label]` table with `threshold` for every topic."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    thresholds = {}
    for label in TOPIC_LABELS:
        table = data.get(label)
        value = table.get("threshold") if isinstance(table, dict) else None
        if not isinstance(value, int | float) or value <= 0:
            raise RuleError(f"{path}: [{label}] needs a positive 'threshold'")
        thresholds[label] = float(value)
    return thresholds


def rules_dir() -> Path:
    """The topic rule files' directory: `KUZET_PATTERNS_DIR`, else `data/patterns`."""
    return Path(os.environ.get("KUZET_PATTERNS_DIR") or PATTERNS_DIR)


def legal_patterns_path(patterns_dir: Path | None = None) -> Path:
    """The legal-reference patterns: `legal.jsonl` in the rules directory (`rules_dir()`)
    when it has one, else the project's own (`data/patterns/legal.jsonl`)."""
    path = (patterns_dir or rules_dir()) / LEGAL_FILE
    return path if path.is_file() else PATTERNS_DIR / LEGAL_FILE


def load_rules(patterns_dir: Path | None = None, lexicons_dir: Path = LEXICONS_DIR) -> RuleSet:
    """Load and validate every topic rule file, the thresholds and the legal-reference
    patterns (default: `rules_dir()`). The version hashes all of them, the legal patterns
    too where they come from outside the directory (`legal_patterns_path`)."""
    from nlp.components.legal import load_legal_patterns

    patterns_dir = patterns_dir or rules_dir()
    if not patterns_dir.is_dir():
        raise RuleError(f"{patterns_dir}: the topic rules directory does not exist")
    seen: dict[str, str] = {}
    rules = [
        rule
        for label in TOPIC_LABELS
        if (patterns_dir / f"{label}.jsonl").exists()
        for rule in load_rule_file(patterns_dir / f"{label}.jsonl", seen)
    ]
    legal_path = legal_patterns_path(patterns_dir)
    try:
        legal = load_legal_patterns(legal_path)
    except (OSError, UnicodeDecodeError) as exc:  # (a UnicodeDecodeError is a ValueError too)
        reason = getattr(exc, "strerror", None) or exc
        raise RuleError(f"{legal_path}: cannot read: {reason}") from exc
    except ValueError as exc:  # names the file and line
        raise RuleError(str(exc)) from exc
    outside = () if legal_path.parent == patterns_dir else (legal_path,)
    return RuleSet(
        rules=rules,
        thresholds=load_thresholds(patterns_dir / "topics.toml"),
        version=rules_version(patterns_dir, lexicons_dir, files=outside),
        legal=legal,
    )
