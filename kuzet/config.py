"""Settings that come from the environment: where generated data lives."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kuzet.errors import ConfigError

#: Languages the pipeline knows; a filter naming another one is an error.
LANGS = ("ru", "kk", "en")
#: Kinds of document (see docs/schema.md).
KINDS = ("news", "law", "draft", "bill_page")
#: Topics the NLP stage flags.
TOPICS = ("sogi", "hate_crime", "anti_discrimination")
#: Local time of the people reading the output.
TIMEZONE = "Asia/Almaty"


def var_dir() -> Path:
    """Directory for generated files (database, archives, logs): `KUZET_VAR` or `./var`."""
    return Path(os.environ.get("KUZET_VAR") or "var")


def default_db_path() -> Path:
    """The database file used when neither `--db` nor `KUZET_DB` is given."""
    return var_dir() / "kuzet.db"


# -- data/sources.toml -------------------------------------------------------------------

#: Kinds of source, each crawled by its own spider (see crawler/spiders/).
SOURCE_KINDS = ("news", "adilet", "legalacts", "parliament", "akorda")
#: What the `sources` table calls each group of sources.
SOURCE_GROUPS = ("news", "ngo", "legislation")
#: Document kind stored for each kind of source.
DOC_KIND = {
    "news": "news",
    "adilet": "law",
    "legalacts": "draft",
    "parliament": "bill_page",
    "akorda": "bill_page",
}
#: Selectors each kind of source must configure (news: only when it has a listing).
REQUIRED_SELECTORS = {
    "news": ("link",),
    "adilet": (),
    "legalacts": ("item", "link"),
    "parliament": ("row", "link"),
    "akorda": ("item", "link", "date"),
}
_URL_LIST_KEYS = ("feeds", "sitemaps", "listing", "start")
_SOURCE_KEYS = {
    "name",
    "kind",
    "group",
    "langs",
    "url",
    "schedule",
    "enabled",
    "selectors",
    "ca_cert",
    "max_pages",
    "max_items",
    "notes",
    *_URL_LIST_KEYS,
}
_CRAWLER_KEYS = {"contact", "user_agent"}
_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")
DEFAULT_SCHEDULE = "0 */3 * * *"


def sources_path() -> Path:
    """The sources file: `KUZET_SOURCES` or `data/sources.toml` in the checkout."""
    default = Path(__file__).resolve().parent.parent / "data" / "sources.toml"
    return Path(os.environ.get("KUZET_SOURCES") or default)


@dataclass(frozen=True)
class Source:
    """One configured source: what to fetch, how to parse it, how often."""

    id: str
    kind: str
    langs: tuple[str, ...]
    name: str = ""
    group: str = "news"
    url: str = ""
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listing: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    selectors: dict[str, str] = field(default_factory=dict)
    schedule: str = DEFAULT_SCHEDULE
    enabled: bool = True
    ca_cert: str | None = None
    max_pages: int = 50
    max_items: int = 200
    notes: str = ""

    @property
    def doc_kind(self) -> str:
        """The `documents.kind` of what this source yields."""
        return DOC_KIND[self.kind]

    def hosts(self) -> list[str]:
        """Every host named by the source's URLs (for allowed_domains)."""
        urls = [self.url, *self.feeds, *self.sitemaps, *self.listing, *self.start]
        return sorted({urlsplit(u).hostname or "" for u in urls if u} - {""})


@dataclass(frozen=True)
class CrawlerSettings:
    """The `[crawler]` table: who we are when we fetch."""

    contact: str = "https://github.com/kuzet/kuzet"
    user_agent: str = "KuzetBot/0.1 (+monitoring of LGBT rights in Kazakhstan; {contact})"

    def agent(self) -> str:
        """The User-Agent header, with the contact filled in."""
        return self.user_agent.format(contact=self.contact)


@dataclass(frozen=True)
class SourcesConfig:
    """Everything data/sources.toml says."""

    crawler: CrawlerSettings
    sources: dict[str, Source]

    def select(self, names: tuple[str, ...] | list[str] = ()) -> list[Source]:
        """The named sources (any, enabled or not), or every enabled one."""
        unknown = [n for n in names if n not in self.sources]
        if unknown:
            known = ", ".join(self.sources)
            raise ConfigError(f"unknown source {unknown[0]!r} (known: {known})")
        if names:
            return [self.sources[n] for n in names]
        return [s for s in self.sources.values() if s.enabled]


def load_sources(path: Path | None = None) -> SourcesConfig:
    """Read and validate the sources file; any mistake is one ConfigError naming the source."""
    path = path or sources_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    extra = set(data) - {"crawler", "sources"}
    if extra:
        raise ConfigError(f"{path}: unknown top-level key {sorted(extra)[0]!r}")
    try:
        crawler = _crawler(data.get("crawler", {}))
    except ValueError as exc:
        raise ConfigError(f"{path}: [crawler]: {exc}") from exc
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: 'sources' must be tables ([sources.ID]), not a value")
    sources = {}
    for sid, table in tables.items():
        try:
            sources[sid] = _source(sid, table, path.parent)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: source {sid!r}: {exc}") from exc
    return SourcesConfig(crawler, sources)


def _crawler(table: Any) -> CrawlerSettings:
    if not isinstance(table, dict):
        raise ValueError("must be a table of settings")
    if set(table) - _CRAWLER_KEYS:
        raise ValueError(f"unknown key {sorted(set(table) - _CRAWLER_KEYS)[0]!r}")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{key!r} must be a non-empty string")
    settings = CrawlerSettings(**table)
    try:
        settings.agent()
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"user_agent {settings.user_agent!r} is not a valid template ({exc!r}): "
            "write {contact} where the contact goes, and {{ }} for literal braces"
        ) from exc
    return settings


def _source(sid: str, t: Any, base: Path) -> Source:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", sid):
        raise ValueError("ids are lower-case letters, digits and _")
    if not isinstance(t, dict):
        raise ValueError("must be a table ([sources.ID] with keys), not a value")
    unknown = set(t) - _SOURCE_KEYS
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    kind = _choice(t.get("kind"), SOURCE_KINDS, "kind")
    langs = tuple(_choice(x, LANGS, "language") for x in _str_list(t, "langs"))
    if not langs:
        raise ValueError("'langs' must name at least one language")
    urls = {k: tuple(_url(u) for u in _str_list(t, k)) for k in _URL_LIST_KEYS}
    if not any(urls.values()):
        raise ValueError("give at least one of feeds, sitemaps, listing or start")
    selectors = t.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise ValueError("'selectors' must be a table of CSS selector strings")
    for name, css in selectors.items():
        _check_css(name, css)
    needed = REQUIRED_SELECTORS[kind] if kind != "news" or urls["listing"] else ()
    missing = [name for name in needed if not selectors.get(name, "").strip()]
    if missing:
        raise ValueError(f"missing selector {missing[0]!r} (selectors.{missing[0]})")
    return Source(
        id=sid,
        kind=kind,
        langs=langs,
        name=str(t.get("name", sid)),
        group=_choice(
            t.get("group", "news" if kind == "news" else "legislation"), SOURCE_GROUPS, "group"
        ),
        url=_url(t["url"]) if "url" in t else next(u for v in urls.values() for u in v),
        selectors=dict(selectors),
        schedule=_schedule(t.get("schedule", DEFAULT_SCHEDULE)),
        enabled=_bool(t.get("enabled", True), "enabled"),
        ca_cert=_ca_cert(t["ca_cert"], base) if "ca_cert" in t else None,
        max_pages=_positive(t.get("max_pages", 50), "max_pages"),
        max_items=_positive(t.get("max_items", 200), "max_items"),
        notes=str(t.get("notes", "")),
        **urls,
    )


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of: {', '.join(allowed)}")
    return str(value)


def _str_list(t: dict[str, Any], key: str) -> list[str]:
    value = t.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a string or a list of strings")
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"bad URL {value!r} (expected an absolute http(s) URL in quotes)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError(f"bad URL {value!r} (expected an absolute http(s) URL)")
    return value


def _schedule(value: Any) -> str:
    """A five-field cron expression that APScheduler accepts (in Asia/Almaty time)."""
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger

    fields = value.split() if isinstance(value, str) else []
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(f"schedule {value!r} is not a five-field cron expression")
    try:
        CronTrigger.from_crontab(value, timezone=ZoneInfo(TIMEZONE))
    except ValueError as exc:
        raise ValueError(f"schedule {value!r} is not a valid cron expression: {exc}") from exc
    return value


def _check_css(name: str, css: str) -> None:
    """Compile a CSS selector as the crawler will (parsel); ValueError naming it if it fails."""
    from cssselect import SelectorError
    from parsel.csstranslator import css2xpath

    try:
        css2xpath(css)
    except SelectorError as exc:
        raise ValueError(f"selectors.{name} {css!r} is not a valid CSS selector: {exc}") from exc


def _ca_cert(value: Any, base: Path) -> str:
    """The absolute path of a PEM file holding at least one certificate (relative paths are
    read against the sources file's directory)."""
    import ssl

    if not isinstance(value, str) or not value.strip():
        raise ValueError("'ca_cert' must be the path of a PEM certificate file")
    path = base / Path(value).expanduser()
    try:
        pem = path.read_bytes()
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except OSError as exc:
        if isinstance(exc, ssl.SSLError):
            raise ValueError(f"ca_cert {str(path)!r} holds no PEM certificate") from exc
        raise ValueError(f"ca_cert {str(path)!r}: {exc.strerror or exc}") from exc
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError(f"ca_cert {str(path)!r} holds no PEM certificate")
    return str(path.resolve())


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false")
    return value


def _positive(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{key!r} must be a positive integer")
    return value
