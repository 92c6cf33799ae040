"""Search facets: filter values indexed as tokens in the full-text index, so a filtered search
intersects posting lists instead of ranking every match and throwing most away.

The generated column `documents.facets` (migration 0008_search_facets) holds, per document:

- `zt<topic>` for each flagged topic, underscores dropped (`ztsogi`, `zthatecrime`; a lone `zt`
  when there is none), and `zt<topic><YYYYMM>` for each with the month of `dated_utc`
  (`ztsogi202403`): the usual research filter, a topic over some weeks, is then one short
  posting list a month instead of the long one of the topic intersected with the months';
- `zl<lang>` and `zk<kind>` (`zlru`, `zknews`);
- `zy<YYYY>`, `zm<YYYYMM>` and `zd<YYYYMMDD>` of `dated_utc` (UTC).

`documents_fts` indexes it as a fourth column with bm25 weight 0, so facets never change a
score. A search restricts the user's query to the three text columns and ANDs the facet terms
for its filters; the exact filters still run in SQL on the (now few) candidates, so the facets
only have to be a superset: a date range becomes whole years and months of UTC dates.
"""

from __future__ import annotations

from datetime import date, timedelta

TEXT_COLUMNS = "{title text lemmas}"
#: More date terms than this and the date range is left to SQL alone.
MAX_DATE_TERMS = 40


def topic_term(topic: str) -> str:
    """The facet token of a topic."""
    return "zt" + topic.replace("_", "")


def date_terms(first: date, last: date) -> list[str]:
    """Year and month tokens covering the days first..last: whole years inside the range,
    and the (possibly partial) months around them.

    Day tokens exist too, but every extra term costs ranking time on each candidate, and the
    exact bounds are checked in SQL anyway: a few days' more candidates are cheaper.
    """
    terms, day = [], first.replace(day=1)
    while day <= last:
        if day.month == 1 and day >= first and date(day.year, 12, 31) <= last:
            terms.append(f"zy{day.year}")
            day = date(day.year + 1, 1, 1)
        else:
            terms.append(f"zm{day:%Y%m}")
            day = _month_end(day) + timedelta(days=1)
    return terms


def _month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def facet_match(
    match: str,
    *,
    topic: str | None = None,
    lang: str | None = None,
    kind: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> str:
    """`match` restricted to the text columns, ANDed with the facet terms of the filters."""
    parts = [f"{TEXT_COLUMNS} : ({match})"]
    months = _months(first, last) if first and last and first <= last else []
    if topic and 0 < len(months) <= MAX_DATE_TERMS:
        term = topic_term(topic)
        parts.append(f"facets : ({' OR '.join(term + m for m in months)})")
    else:
        if topic:
            parts.append(f"facets : {topic_term(topic)}")
        terms = date_terms(first, last) if months else []
        if 0 < len(terms) <= MAX_DATE_TERMS:
            parts.append(f"facets : ({' OR '.join(terms)})")
    if lang:
        parts.append(f"facets : zl{lang}")
    if kind:
        parts.append(f"facets : zk{kind}")
    return " AND ".join(parts)


def _months(first: date | None, last: date | None) -> list[str]:
    """`YYYYMM` of every month from first's to last's."""
    if first is None or last is None:
        return []
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
