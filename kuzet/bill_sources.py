"""What each legislation document says about its bill: identifiers, titles and stage claims.

Legislation documents describe one bill each (`observe`): a draft on legalacts (its status and
dates), a Parliament bill page (the chamber's table row and the page's own stage phrases), a
signing notice on akorda.kz, an act on adilet.zan.kz (its /info table; the Russian and Kazakh
pages of one act are read together). Stage phrases in their text are read by
`kuzet.bill_phrases`; news by `kuzet.bill_news`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kuzet.bill_phrases import local_date, phrase_claims
from kuzet.bill_titles import normalise
from kuzet.bills import Claim, Rules, norm_id
from nlp.dates import parse_date

_LAW_HEADER = re.compile(
    r"^\s*(?P<type>(?:конституционный\s+)?(?:закон|кодекс))\s+республики\s+казахстан\s+от\s+"
    r"(?P<date>.{6,30}?)\s+(?:№|N)\s*(?P<number>\d{1,5}-[IVXІХ]{1,5})",
    re.IGNORECASE,
)


@dataclass
class Observation:
    """One legislation document (or an adilet act's language pair) and the bill it is about."""

    documents: list[dict[str, Any]]
    site: str
    ids: list[tuple[str, str]] = field(default_factory=list)
    titles: list[tuple[str, str]] = field(default_factory=list)  # (lang, title), best first
    title_rank: int = 0
    initiator: str | None = None
    claims: list[Claim] = field(default_factory=list)
    may_create: bool = True

    @property
    def flagged(self) -> bool:
        return any(d.get("topics") for d in self.documents)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def site_of(doc: dict[str, Any]) -> str:
    """Which kind of legislation site a document comes from (by host, else by kind)."""
    host = (urlsplit(doc["url"]).hostname or "").removeprefix("www.")
    for site, hosts in (
        ("adilet", ("adilet.zan.kz",)),
        ("legalacts", ("legalacts.egov.kz",)),
        ("akorda", ("akorda.kz",)),
        ("parliament", ("parlam.kz",)),
    ):
        if any(host == h or host.endswith("." + h) for h in hosts):
            return site
    return {"law": "adilet", "draft": "legalacts"}.get(doc["kind"], "parliament")


def _initiator(text: str, rules_: Rules) -> str | None:
    lowered = text.lower()
    return next((who for word, who in rules_["initiators"].items() if word in lowered), None)


def _is_law(text: str, rules_: Rules) -> bool:
    lowered = normalise(text)
    return any(
        lowered == t or lowered.startswith(t + " ") for t in rules_["legislation"]["law_types"]
    )


def _label(info: dict[str, str], prefixes: list[str]) -> tuple[str, str] | None:
    for key, value in info.items():
        if any(key.lower().startswith(p) for p in prefixes):
            return key, value
    return None


# -- legislation --------------------------------------------------------------------------


def observe(
    docs: list[dict[str, Any]], refs: dict[int, list[dict[str, Any]]], rules_: Rules
) -> list[Observation]:
    """One observation per legislation document; an adilet act's ru/kk pages make one."""
    acts: dict[str, list[dict[str, Any]]] = {}
    observations = []
    for doc in docs:
        site = site_of(doc)
        if site == "adilet":
            act_id = _adilet_id(doc)
            if act_id:
                acts.setdefault(act_id, []).append(doc)
                continue
        reader = {"legalacts": _legalacts, "akorda": _akorda}.get(site, _parliament)
        if site == "adilet":
            observations.append(_adilet([doc], None, rules_))
        else:
            observations.append(reader(doc, refs.get(doc["id"], []), rules_))
    observations += [_adilet(group, act_id, rules_) for act_id, group in acts.items()]
    observations.sort(key=_order)
    return observations


def _order(obs: Observation) -> tuple[str, int]:
    dates = [c.date for c in obs.claims if c.date]
    first = min(dates) if dates else (obs.documents[0].get("dated_utc") or "")[:10]
    return first or "9999", min(d["id"] for d in obs.documents)


def _adilet_id(doc: dict[str, Any]) -> str | None:
    value = (doc.get("meta") or {}).get("doc_id")
    if not value:
        m = re.search(r"/docs/([A-Z]\d{10})\b", doc["url"])
        value = m.group(1) if m else None
    return norm_id("adilet", value) if value else None


def _adilet(group: list[dict[str, Any]], act_id: str | None, rules_: Rules) -> Observation:
    group = sorted(group, key=lambda d: (d.get("lang") != "ru", d["id"]))
    leg = rules_["legislation"]
    obs = Observation(documents=group, site="adilet", title_rank=4)
    if act_id:
        obs.ids.append(("adilet", act_id))
    obs.titles = [(d.get("lang") or "ru", d["title"]) for d in group if d.get("title")]
    info = next(
        ((d.get("meta") or {}).get("info") for d in group if (d.get("meta") or {}).get("info")), {}
    )
    info = info if isinstance(info, dict) else {}
    header = next((m for d in group if (m := _LAW_HEADER.match(d.get("head") or ""))), None)
    act_type = (_label(info, leg["adilet_type"]) or ("", ""))[1]
    is_law = (
        _is_law(act_type, rules_)
        or bool(header)
        or bool(act_id and act_id[0] in "ZK")
        or any(_is_law(d.get("title") or "", rules_) for d in group)
    )
    obs.may_create = is_law
    number = _label(info, leg["adilet_number"])
    for value in [number[1] if number else None, header.group("number") if header else None]:
        if value and (n := norm_id("number", value)) and ("number", n) not in obs.ids:
            obs.ids.append(("number", n))
    base = group[0]

    def claim(stage: str, when: str | None, basis: str, detail: str) -> Claim:
        return Claim(stage, when, base["source"], base["id"], base["url"], "page", basis,
                     phrase=detail)  # fmt: skip

    adopted = _label(info, leg["adilet_adopted"])
    if is_law and adopted and (day := parse_date(adopted[1])):
        obs.claims.append(claim("signed", day.isoformat(), "info", f"{adopted[0]}: {adopted[1]}"))
    elif header and (day := parse_date(header.group("date"))):
        obs.claims.append(claim("signed", day.isoformat(), "text", header.group(0)))
    published = _label(info, leg["adilet_published"])
    revised = local_date((base.get("meta") or {}).get("revised_at"))
    if published and (day := parse_date(published[1])):
        obs.claims.append(
            claim("published", day.isoformat(), "info", f"{published[0]}: {published[1]}")
        )
    elif revised:
        obs.claims.append(claim("published", revised, "index", "listed in adilet's index"))
    status = _label(info, leg["adilet_status"])
    if status and any(status[1].lower().startswith(s) for s in leg["in_force_status"]):
        since = _label(info, leg["adilet_in_force_date"])
        day = parse_date(since[1]) if since else None
        obs.claims.append(claim("in_force", _iso(day), "info", f"{status[0]}: {status[1]}"))
    return obs


def _legalacts(doc: dict[str, Any], refs: list[dict[str, Any]], rules_: Rules) -> Observation:
    meta = doc.get("meta") or {}
    head = doc.get("head") or ""
    leg = rules_["legislation"]
    obs = Observation(documents=[doc], site="legalacts", title_rank=2)
    draft_id = parse_qs(urlsplit(doc["url"]).query).get("id", [""])[0]
    if value := norm_id("legalacts", draft_id):
        obs.ids.append(("legalacts", value))
    obs.titles = [(doc.get("lang") or "ru", doc["title"])]
    act_type = meta.get("type") or ""
    obs.may_create = (
        _is_law(act_type, rules_)
        or _is_law(doc["title"], rules_)
        or bool(re.search(r"проект\w* закона|заң жобасы", head, re.IGNORECASE))
    )
    if body := meta.get("drafting_body"):
        obs.initiator = f"Government ({body})"
    elif m := re.search(r"(?:Разработчик|Әзірлеуші):\s*([^.\n]{3,120})", head):
        obs.initiator = f"Government ({m.group(1).strip()})"
    created = local_date(meta.get("created")) or local_date(doc.get("published_at"))
    status = (meta.get("status") or "").lower()
    if not status and re.search(r"публичного обсуждения|жария талқылау", head, re.IGNORECASE):
        status = "публичное обсуждение"
    until = meta.get("discussion_until")
    detail = "; ".join(
        f"{k}: {v}" for k, v in meta.items() if k in ("status", "type", "discussion_until")
    )

    def claim(stage: str, when: str | None) -> Claim:
        extra = {"open_until": until} if until and stage == "public_discussion" else {}
        return Claim(stage, when, doc["source"], doc["id"], doc["url"], "page", "list",
                     phrase=detail, extra=extra)  # fmt: skip

    if created:
        obs.claims.append(claim("draft_published", created))
    for prefix, stage in leg["legalacts_status"].items():
        if status.startswith(prefix):
            obs.claims.append(claim(stage, created if stage == "public_discussion" else None))
    return obs


def _chamber(doc: dict[str, Any], rules_: Rules) -> str | None:
    for name, spec in rules_["chambers"].items():
        if doc["source"] in spec.get("sources", []):
            return name
    for name, spec in rules_["chambers"].items():
        if any(w in doc["url"] for w in spec.get("url_words", [])):
            return name
    return None


def _parliament(doc: dict[str, Any], refs: list[dict[str, Any]], rules_: Rules) -> Observation:
    obs = Observation(documents=[doc], site="parliament", title_rank=3)
    chamber = _chamber(doc, rules_)
    segment = urlsplit(doc["url"]).path.rstrip("/").rsplit("/", 1)[-1]
    if value := norm_id("page", f"{chamber or doc['source']}/{segment}"):
        obs.ids.append(("page", value))
    obs.titles = [(doc.get("lang") or "ru", doc["title"])]
    cells = (doc.get("meta") or {}).get("table_cells", [])
    cells = [str(c) for c in cells] if isinstance(cells, list) else []
    for cell in cells:
        if value := norm_id("registration", cell):
            obs.ids.append(("registration", value))
    dates = [(i, day.isoformat()) for i, c in enumerate(cells) if (day := _cell_date(c))]
    spec = rules_["chambers"].get(chamber or "", {})

    def claim(stage: str, when: str | None, basis: str, detail: str) -> Claim:
        return Claim(stage, when, doc["source"], doc["id"], doc["url"], "page", basis,
                     phrase=detail)  # fmt: skip

    if chamber == "mazhilis" and dates:
        obs.claims.append(claim(spec["table_stage"], dates[0][1], "table", " | ".join(cells)))
        for column, who in spec.get("initiator_columns", {}).items():
            i = int(column)
            if i < len(cells) and cells[i].strip() and not _cell_date(cells[i]):
                obs.initiator = who
                break
    elif chamber == "senate" and len(dates) >= 2:
        obs.claims.append(claim(spec["table_stage"], dates[-1][1], "table", " | ".join(cells)))
    elif cells and dates:
        for i, cell in enumerate(cells):
            lowered = cell.lower().replace("ё", "е")
            stage = next((s for w, s in rules_["stage_words"].items() if w in lowered), None)
            if stage and i != _title_cell(cells, doc["title"]) and not _cell_date(cell):
                obs.claims.append(claim(stage, dates[0][1], "table", " | ".join(cells)))
                obs.initiator = obs.initiator or _initiator(cell, rules_)
                break
    for ref, found in phrase_claims(doc, refs, rules_, origin="page"):
        obs.claims.append(found)
        if found.stage == "introduced":
            obs.initiator = obs.initiator or _initiator(ref["text"], rules_)
    if obs.initiator is None and (
        m := re.search(r"(?:Инициатор|Бастамашысы):\s*([^.\n]{3,80})", doc.get("text") or "")
    ):
        obs.initiator = _initiator(m.group(1), rules_) or m.group(1).strip()
    return obs


def _cell_date(cell: str) -> date | None:
    """The date a short table cell holds (a title with a date in it is not a date cell)."""
    return parse_date(cell) if len(cell) <= 30 else None


def _title_cell(cells: list[str], title: str) -> int | None:
    core = normalise(title)
    return next((i for i, c in enumerate(cells) if c and normalise(c) in core), None)


def _akorda(doc: dict[str, Any], refs: list[dict[str, Any]], rules_: Rules) -> Observation:
    obs = Observation(documents=[doc], site="akorda", title_rank=1)
    slug = urlsplit(doc["url"]).path.rstrip("/").rsplit("/", 1)[-1]
    if value := norm_id("page", f"akorda/{slug}"):
        obs.ids.append(("page", value))
    official = [r["attrs"]["title"] for r in refs if r["label"] == "LAW_TITLE"][:1]
    obs.titles = [(doc.get("lang") or "ru", t) for t in [*official, doc["title"]] if t]
    text = normalise(f"{doc['title']} {doc.get('text') or ''}"[:400])
    obs.may_create = bool(re.search(r"\b(?:закон\w*|кодекс\w*|заң\w*)\b", text))
    signed_on = local_date(doc.get("published_at"))
    if signed_on:
        obs.claims.append(Claim("signed", signed_on, doc["source"], doc["id"], doc["url"], "page",
                                "list", phrase=doc["title"]))  # fmt: skip
    obs.claims += [c for _ref, c in phrase_claims(doc, refs, rules_, origin="page")]
    return obs
