"""The daily digest: grouping, ordering, folding, highlighting, day boundaries, escaping, chart."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from kuzet import digest_chart
from kuzet.annotate import annotate
from kuzet.config import TOPICS
from kuzet.digest import day_bounds, parse_day, run_digest
from kuzet.digest_model import collect
from kuzet.errors import ConfigError, DigestError
from kuzet.importer import import_file
from kuzet.settings import load_settings
from kuzet.store import Store
from tests.conftest import ROOT, SAMPLE
from tests.digest_helpers import distinct_text, put, sql, stored_at

SYNDICATED = ROOT / "data" / "sample" / "syndicated.jsonl"
DAY = date(2026, 11, 30)
STORED = "2026-11-30T06:00:00+00:00"  # 11:00 in Almaty
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 08:00 next morning in Almaty
EXTORTION = "https://vlast.kz/novosti/60001-sample-police-extortion.html"
REPOSTS = (
    "https://orda.kz/v-almaty-zaderzhali-policejskih-za-vymogatelstvo-401190/",
    "https://www.nur.kz/incident/2026091412-policejskih-podozrevayut-v-shantazhe/",
)


@pytest.fixture(scope="module")
def annotated_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample documents and their syndicated copies, stored on DAY, annotated for real."""
    db = tmp_path_factory.mktemp("digest") / "sample.db"
    with Store.open(db) as store, stored_at(STORED):
        assert not import_file(store, SAMPLE).errors
        assert not import_file(store, SYNDICATED).errors
        annotate(store)
    return db


@pytest.fixture
def sample(annotated_sample: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the annotated sample database."""
    path = tmp_path / "sample.db"
    shutil.copy(annotated_sample, path)
    with Store.open(path) as store:
        yield store


def digest_of(store: Store, day: date = DAY, **kwargs: object):
    return run_digest(store, day, now=NOW, **kwargs)


# -- sample data: grouping, ordering, folding, highlighting -------------------------------


def test_sample_digest_groups_by_topic_in_order_of_score(sample: Store) -> None:
    d = collect(sample, DAY, load_settings(), NOW)
    assert [s.topic for s in d.sections] == [t for t in TOPICS if d.sections]
    for section in d.sections:
        scores = [story.scores[section.topic] for story, _ in section.entries]
        assert scores == sorted(scores, reverse=True), section.topic
        assert all(section.topic in story.topics for story, _ in section.entries)
    flagged = sql(sample.path, "SELECT count(*) FROM documents WHERE topics != '[]'")[0][0]
    clusters_ = sql(
        sample.path, "SELECT count(DISTINCT cluster_id) FROM documents WHERE topics != '[]'"
    )[0][0]
    assert d.documents == flagged
    assert d.stories == clusters_ < flagged  # syndicated copies are folded
    per_topic = {
        t: n
        for t, n in sql(
            sample.path,
            "SELECT t.value, count(*) FROM documents d, json_each(d.topics) t GROUP BY t.value",
        )
    }
    assert {s.topic: s.documents for s in d.sections} == per_topic


def test_syndicated_copies_are_one_entry_naming_the_other_outlets(sample: Store) -> None:
    result = digest_of(sample)
    d = collect(sample, DAY, load_settings(), NOW)
    full = [s for sec in d.sections for s, ref in sec.entries if ref is None]
    assert len({s.cluster_id for s in full}) == len(full)  # each story in full once
    (story,) = [s for s in full if s.url == EXTORTION]
    assert {o["name"] for o in story.also} == {"orda", "Nur.kz"}
    assert {o["url"] for o in story.also} == set(REPOSTS)
    assert story.documents_today == 3
    for repost in REPOSTS:  # never an entry of its own
        assert f'href="{repost}" style="color:#0b57a4;text-decoration:none;"' not in result.html
        assert repost in result.html  # but linked from "also reported by"
    assert "Also reported by" in result.html
    assert "Also reported by orda, Nur.kz" in result.text
    # flagged on two topics: in full under its main one (hate_crime scores higher), and a
    # reference under the other
    assert story.scores["hate_crime"] > story.scores["sogi"]
    topics_with_it = [
        (sec.topic, ref) for sec in d.sections for s, ref in sec.entries if s is story
    ]
    assert topics_with_it == [("sogi", "Hate crime"), ("hate_crime", None)]
    assert "(in full under Hate crime)" in result.text


def test_snippets_highlight_the_evidence_terms(sample: Store) -> None:
    d = collect(sample, DAY, load_settings(), NOW)
    evidence: dict[int, set[str]] = {}
    for doc_id, found in sql(sample.path, "SELECT document_id, evidence FROM annotations"):
        evidence.setdefault(doc_id, set()).update(ev["text"].casefold() for ev in json.loads(found))
    listed = [s for sec in d.sections for s, ref in sec.entries if ref is None]
    highlighted = 0
    for story in listed:
        marked = [seg.text.strip().casefold() for seg in story.snippet if seg.hl]
        highlighted += bool(marked)
        for term in marked:  # every highlight is (part of) an evidence term of that document
            assert any(term in ev or ev in term for ev in evidence[story.doc_id]), term
    assert highlighted >= len(listed) // 2
    result = digest_of(sample)
    assert 'background:#fff0a0;font-weight:bold;">' in result.html
    assert "*" in result.text  # evidence marked in the plain text part too


def test_entries_show_source_date_language_and_links(sample: Store) -> None:
    result = digest_of(sample)
    text = result.text
    assert "Vlast.kz · 14 Sep 2026 · Russian · news" in text
    assert "Kazakh" in text
    assert "English" in text
    assert EXTORTION in text
    assert "Archived copy: none (imported document)" in text
    assert 'lang="kk"' in result.html
    assert 'lang="ru"' in result.html


def test_annotate_assigns_clusters_to_every_document(sample: Store) -> None:
    missing = sql(sample.path, "SELECT count(*) FROM documents WHERE cluster_id IS NULL")
    assert missing[0][0] == 0
    ids = sql(
        sample.path,
        "SELECT url FROM documents WHERE cluster_id = (SELECT cluster_id FROM documents "
        "WHERE url = ?) ORDER BY id",
        EXTORTION,
    )
    assert [r[0] for r in ids] == [EXTORTION, *REPOSTS]


def test_equal_scores_are_ordered_newest_first(store: Store) -> None:
    for n, published in enumerate(
        ["2026-11-01T10:00:00+05:00", "2026-11-29T10:00:00+05:00", "2026-11-15T10:00:00+05:00"]
    ):
        put(
            store,
            STORED,
            url=f"https://vlast.kz/{n}",
            text=distinct_text(n),
            topics={"sogi": 4.0},
            terms=["гей"],
            published_at=published,
        )
    put(
        store,
        STORED,
        url="https://vlast.kz/top",
        text=distinct_text(9),
        topics={"sogi": 9.0},
        terms=["гей"],
        published_at="2026-10-01T10:00:00+05:00",
    )
    d = collect(store, DAY, load_settings(), NOW)
    dates = [s.date_label for s, _ in d.sections[0].entries]
    assert dates == ["1 Oct 2026", "29 Nov 2026", "15 Nov 2026", "1 Nov 2026"]


def test_a_long_day_is_cut_at_max_per_topic(store: Store, tmp_path: Path) -> None:
    for n in range(5):
        put(
            store,
            STORED,
            url=f"https://vlast.kz/{n}",
            text=distinct_text(n),
            topics={"sogi": float(n + 1)},
            terms=["гей"],
        )
    config = tmp_path / "settings.toml"
    config.write_text("[digest]\nmax_per_topic = 2\n")
    result = digest_of(store, settings=load_settings(config))
    assert result.stories == 5
    assert "and 3 more stories on this topic, not listed (the digest lists 2 per topic)" in (
        result.text
    )
    assert result.text.count("*гей*") == 2
    assert "слово4x" in result.text
    assert "слово3x" in result.text
    assert "слово2x" not in result.text


def test_evidence_in_the_title_is_highlighted_there(store: Store) -> None:
    put(
        store,
        STORED,
        url="https://vlast.kz/t",
        title="Закон о ЛГБТ-пропаганде вступил в силу",
        text=distinct_text(1, "Без терминов в тексте"),
        topics={"sogi": 6.0},
        title_terms=["ЛГБТ-пропаганде"],
    )
    d = collect(store, DAY, load_settings(), NOW)
    ((story, _),) = d.sections[0].entries
    assert [(seg.text.strip(), seg.hl) for seg in story.title] == [
        ("Закон о", False),
        ("ЛГБТ-пропаганде", True),
        ("вступил в силу", False),
    ]
    assert story.snippet[0].text.startswith("Без терминов в тексте")  # the text's opening
    assert not any(seg.hl for seg in story.snippet)


# -- empty day, day boundary ----------------------------------------------------------------


def test_an_empty_day_says_so_in_one_line(store: Store, tmp_path: Path) -> None:
    result = digest_of(store)
    assert result.quiet
    assert result.items == 0
    assert result.path == tmp_path / "var" / "digests" / "2026-11-30.html"
    assert result.path.read_text("utf-8") == result.html
    lines = [line for line in result.text.splitlines() if "Quiet day" in line]
    assert lines == [
        "Quiet day: nothing was flagged and no relevant bill appeared or moved "
        "(0 documents stored)."
    ]
    assert result.html.count("Quiet day") == 1
    assert "<h2" not in result.html
    assert "<img" not in result.html
    assert result.subject == "Kuzet digest 2026-11-30: quiet day"


def test_the_day_is_the_almaty_day(store: Store) -> None:
    before = put(
        store,
        "2026-11-29T23:59:00+05:00",
        url="https://vlast.kz/a",
        text="один гей",
        topics={"sogi": 5.0},
        terms=["гей"],
    )
    after = put(
        store,
        "2026-11-30T00:01:00+05:00",
        url="https://vlast.kz/b",
        text="два гея",
        topics={"sogi": 5.0},
        terms=["гея"],
    )
    assert day_bounds(DAY) == ("2026-11-29T19:00:00Z", "2026-11-30T19:00:00Z")
    first = collect(store, date(2026, 11, 29), load_settings(), NOW)
    second = collect(store, DAY, load_settings(), NOW)
    assert [s.doc_id for sec in first.sections for s, _ in sec.entries] == [before]
    assert [s.doc_id for sec in second.sections for s, _ in sec.entries] == [after]
    sogi = second.chart[0]
    assert (sogi.topic, sogi.counts[-2:]) == ("sogi", [1, 1])


def test_date_keywords_and_bad_dates() -> None:
    assert parse_day("yesterday", now=NOW) == DAY
    assert parse_day("today", now=NOW) == date(2026, 12, 1)
    assert parse_day("2026-02-03") == date(2026, 2, 3)
    with pytest.raises(DigestError, match="not a date"):
        parse_day("30.11.2026")


def test_a_day_in_the_future_is_refused(store: Store) -> None:
    with pytest.raises(DigestError, match="in the future"):
        run_digest(store, date(2026, 12, 2), now=NOW)


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "1000-06-15"])
def test_an_absurdly_early_day_is_one_line_and_leaves_no_run(
    run: object, store: Store, day: str
) -> None:
    result = run("digest", "--date", day)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {day}: no digest for a day before 2000-01-01 "
        "(expected YYYY-MM-DD, today or yesterday)\n"
    )
    assert sql(store.path, "SELECT count(*) FROM runs")[0][0] == 0


def test_the_earliest_day_works_and_earlier_ones_are_digest_errors(store: Store) -> None:
    assert run_digest(store, date(2000, 1, 1), now=NOW).quiet
    with pytest.raises(DigestError, match="before 2000-01-01"):
        collect(store, date(1, 1, 1), load_settings(), NOW)
    with pytest.raises(DigestError, match="this far off"):
        day_bounds(date(9999, 12, 31))


# -- escaping ------------------------------------------------------------------------------


def test_scraped_markup_and_bad_links_are_inert(store: Store) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)> гей"
    put(
        store,
        STORED,
        url="javascript:alert(3)//",
        title=evil,
        text="текст про гей людей",
        topics={"sogi": 9.0},
        terms=["гей"],
    )
    put(
        store,
        STORED,
        url="https://vlast.kz/ok",
        title="Forged\nSource health: all fine",
        text="текст про гей людей и ещё",
        topics={"sogi": 5.0},
        terms=["гей"],
    )
    result = digest_of(store)
    html = result.html
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "javascript:" not in html  # not as a link, not even as text
    assert "link withheld" in html
    assert "link withheld" in result.text
    text_lines = result.text.splitlines()
    assert sum(line.startswith("Source health:") for line in text_lines) == 1
    assert any("Forged Source health: all fine" in line for line in text_lines)


def test_bill_text_is_escaped_too(store: Store) -> None:
    bill_rows(store, title="<b>Закон</b>\nX-Injected: yes", url="data:text/html,<script>")
    result = digest_of(store)
    assert "&lt;b&gt;Закон&lt;/b&gt;" in result.html
    assert "data:text/html" not in result.html
    assert "\nX-Injected" not in result.text


# -- bills ---------------------------------------------------------------------------------


def bill_rows(
    store: Store, *, title: str = "О правах ребёнка", url: str = "https://x.kz/b"
) -> None:
    """A new relevant bill, a moved tracked bill, and a moved irrelevant one (SQL fixture)."""
    earlier, today = "2026-11-01T05:00:00+00:00", "2026-11-30T07:00:00+00:00"
    rows = [
        (1, "new", title, '["sogi"]', 0, today, "first_reading"),
        (2, "moved", "О статистике", "[]", 1, earlier, "second_reading"),
        (3, "quiet", "Об автомобильных дорогах", "[]", 0, earlier, "signed"),
    ]
    for bid, key, name, topics, tracked, seen, stage in rows:
        sql(
            store.path,
            "INSERT INTO bills (id, key, title_ru, topics, tracked, first_seen_at, updated_at, "
            "stage, stage_date) VALUES (?,?,?,?,?,?,?,?, '2026-11-29')",
            bid,
            key,
            name,
            topics,
            tracked,
            seen,
            seen,
            stage,
        )
        sql(
            store.path,
            "INSERT INTO bill_events (bill_id, stage, event_date, source, url, recorded_at) "
            "VALUES (?,?, '2026-11-29', 'mazhilis', ?, ?)",
            bid,
            stage,
            url,
            today,
        )


def test_new_and_moved_bills_come_first(store: Store) -> None:
    bill_rows(store)
    put(
        store,
        STORED,
        url="https://vlast.kz/n",
        text="про гей людей",
        topics={"sogi": 4.0},
        terms=["гей"],
    )
    d = collect(store, DAY, load_settings(), NOW)
    assert [(b.bill_id, b.new) for b in d.bills] == [(1, True), (2, False)]
    assert d.bills[0].stage == "approved in first reading"
    assert d.bills[1].tracked
    result = digest_of(store)
    assert result.bills == 2
    assert result.items == 3
    html = result.html
    assert (
        html.index("New and moved bills")
        < html.index("О правах ребёнка")
        < html.index("Sexual orientation and gender identity")
    )
    assert "Об автомобильных дорогах" not in html  # neither relevant nor tracked


def test_a_bill_shows_its_identifiers_joined_and_its_events_in_timeline_order(
    store: Store,
) -> None:
    ids = {"adilet": ["Z2600000312"], "number": ["312-VIII"],
           "page": ["kurultai/3101", "akorda/o-podpisanii-2011261"],
           "other_titles": ["По вопросам защиты семьи"]}  # fmt: skip
    today = "2026-11-30T07:00:00+00:00"
    sql(
        store.path,
        "INSERT INTO bills (id, key, title_ru, identifiers, topics, tracked, first_seen_at, "
        "updated_at, stage, stage_date) VALUES (1, 'k', 'О защите семьи', ?, '[\"sogi\"]', 0, "
        "'2026-11-01T05:00:00+00:00', ?, 'in_force', NULL)",
        json.dumps(ids, ensure_ascii=False),
        today,
    )
    # recorded in this order (an undated stage and one day's stages out of process order)
    for stage, when in [("in_force", None), ("sent_to_president", "2026-11-11"),
                        ("adopted", "2026-11-11"), ("third_reading", "2026-11-11"),
                        ("second_reading", "2026-10-28")]:  # fmt: skip
        sql(
            store.path,
            "INSERT INTO bill_events (bill_id, stage, event_date, source, url, recorded_at) "
            "VALUES (1, ?, ?, 'kurultai', 'https://x.kz/b', ?)",
            stage,
            when,
            today,
        )
    d = collect(store, DAY, load_settings(), NOW)
    (bill,) = d.bills
    assert bill.identifiers == (
        "adilet Z2600000312; number 312-VIII; page kurultai/3101, akorda/o-podpisanii-2011261"
    )
    assert [e["stage"] for e in bill.events] == [
        "approved in second reading", "approved in third reading", "adopted",
        "sent to the President", "in force",
    ]  # fmt: skip
    result = digest_of(store)
    for shown in (result.text, result.html):
        assert "adilet Z2600000312; number 312-VIII" in shown
        assert "['" not in shown
        assert "[&#39;" not in shown
        assert "other_titles" not in shown
        assert "По вопросам защиты семьи" not in shown
    lines = result.text.splitlines()
    events = [x.strip() for x in lines if x.startswith("   - ")]
    assert events[0].startswith("- approved in second reading, 28 Oct 2026")
    assert events[-1].startswith("- in force")


def test_the_header_says_its_topic_counts_are_stories_and_the_chart_documents(
    sample: Store,
) -> None:
    result = digest_of(sample)
    d = collect(sample, DAY, load_settings(), NOW)
    sections = ", ".join(f"{s.short} {s.stories}" for s in d.sections)
    header = next(x for x in result.text.splitlines() if "stories flagged" in x)
    assert f"documents stored); stories by topic: {sections};" in header
    assert "Flagged documents per day" in result.text
    assert (
        "; stories by topic: " + " &middot; ".join(f"{s.short} {s.stories}" for s in d.sections)
        in result.html
    )
    assert any(s.stories != s.documents for s in d.sections)  # the two counts do differ


# -- the chart -----------------------------------------------------------------------------


def test_chart_counts_match_the_database(store: Store) -> None:
    spread = {"2026-11-02": 1, "2026-11-10": 2, "2026-11-29": 1, "2026-11-30": 6}
    n = 0
    for day, count in spread.items():
        for _ in range(count):
            n += 1
            topics = {"sogi": 4.0} if n % 3 else {"sogi": 4.0, "hate_crime": 5.0}
            put(
                store,
                f"{day}T10:00:00+05:00",
                url=f"https://vlast.kz/{n}",
                text=f"гей история номер {n} " * 3,
                topics=topics,
                terms=["гей"],
            )
    result = digest_of(store)
    rows = sql(
        store.path,
        "SELECT date(first_seen_at, '+5 hours'), t.value, count(*) FROM documents d, "
        "json_each(d.topics) t GROUP BY 1, 2",
    )
    expected = {(day, topic): count for day, topic, count in rows}
    days = [date.fromordinal(DAY.toordinal() - 30 + i) for i in range(31)]
    for series in result.chart:
        assert series.counts == [expected.get((d.isoformat(), series.topic), 0) for d in days]
    sogi = result.chart[0]
    assert sogi.today == 6
    assert sogi.spike
    assert f"SOGI: 6 on 30 Nov (a spike); 30-day average {4 / 30:.1f}, highest 2." in (
        collect(store, DAY, load_settings(), NOW).chart_alt
    )
    assert "   SPIKE" in result.text


def test_chart_png_shows_the_spike_in_red(store: Store) -> None:
    series = [
        digest_chart.TopicSeries("sogi", "SOGI", [1] * 30 + [9]),
        digest_chart.TopicSeries("hate_crime", "Hate crime", [2] * 31),
    ]
    days = [date.fromordinal(DAY.toordinal() - 30 + i) for i in range(31)]
    img = Image.open(io.BytesIO(digest_chart.draw(series, days))).convert("RGB")
    width, height = digest_chart.display_size(series)
    assert img.size == (width * digest_chart.SCALE, height * digest_chart.SCALE)
    s = digest_chart.SCALE
    bar_x = int((width - digest_chart.FIGURES_W - 3) * s)
    row0_base = (digest_chart.TOP + digest_chart.ROW_HEIGHT - 12) * s
    row1_base = row0_base + digest_chart.ROW_HEIGHT * s
    red, blue = (0xC6, 0x28, 0x28), (0x1F, 0x4E, 0x79)
    assert img.getpixel((bar_x, row0_base)) == red  # the spike
    assert img.getpixel((bar_x, row1_base)) == blue  # an ordinary day
    assert not series[1].spike


def test_html_file_embeds_the_chart_and_the_mail_refers_to_it(store: Store) -> None:
    put(
        store,
        STORED,
        url="https://vlast.kz/c",
        text="про гей людей",
        topics={"sogi": 4.0},
        terms=["гей"],
    )
    result = digest_of(store, send=True)
    assert 'src="data:image/png;base64,' in result.html
    raw = sql(store.path, "SELECT body_html FROM outbox")[0][0]
    assert 'src="cid:chart-2026-11-30@kuzet"' in raw
    assert "data:image" not in raw


# -- settings and files --------------------------------------------------------------------


def test_out_file_and_a_bad_out_directory(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "copy.html"
    result = digest_of(store, out=out)
    assert out.read_text("utf-8") == result.path.read_text("utf-8")
    from kuzet.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        digest_of(store, out=tmp_path / "missing" / "x.html", send=True)
    assert sql(store.path, "SELECT count(*) FROM outbox")[0][0] == 0  # nothing queued


def test_archive_url_template(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    put(
        store,
        STORED,
        url="https://vlast.kz/w",
        text="про гей людей",
        topics={"sogi": 4.0},
        terms=["гей"],
        warc_file="archive/vlast-1.warc.gz",
    )
    result = digest_of(store)
    assert "kuzet archive show 1" in result.text
    config = tmp_path / "settings.toml"
    config.write_text('[digest]\narchive_url = "https://replay.example.org/{warc_file}/{id}"\n')
    result = digest_of(store, settings=load_settings(config))
    assert 'href="https://replay.example.org/archive/vlast-1.warc.gz/1"' in result.html
    config.write_text('[digest]\narchive_url = "https://replay.example.org/{nope}"\n')
    with pytest.raises(ConfigError, match="unknown placeholder"):
        digest_of(store, settings=load_settings(config))
    config.write_text('[digest]\narchive_url = "javascript:alert({id})"\n')
    with pytest.raises(ConfigError, match="must be an http"):
        digest_of(store, settings=load_settings(config))


def test_unannotated_documents_are_counted_not_listed(store: Store) -> None:
    from kuzet.documents import NewDocument

    with stored_at(STORED):
        store.upsert_documents([NewDocument(url="https://vlast.kz/u", text="гей", source="vlast")])
    result = digest_of(store)
    assert result.quiet
    assert "1 document was stored that day but not yet annotated" in result.text


def test_source_health_names_failed_and_silent_sources(store: Store) -> None:
    with stored_at("2026-11-30T04:00:00+00:00"):
        ok = store.start_run("crawl", "vlast")
        store.finish_run(ok, "ok", pages=3)
        bad = store.start_run("crawl", "kaztag")
        store.finish_run(bad, "failed", message="WARNING: listing matched nothing", pages=0)
    line = collect(store, DAY, load_settings(), NOW).health
    assert not line["ok"]
    assert "1 of 2 sources crawled answered" in line["text"]
    assert "KazTAG (failed: WARNING: listing matched nothing)" in line["text"]
    assert "not crawled: " in line["text"]  # the other enabled sources had no run that day
    quiet = collect(store, date(2026, 11, 20), load_settings(), NOW).health
    assert "no crawl ran on this day" in quiet["text"]


def test_digest_run_is_recorded(store: Store) -> None:
    digest_of(store)
    rows = sql(store.path, "SELECT status, message FROM runs WHERE job = 'digest'")
    assert rows == [("ok", "2026-11-30: 0 entries, not queued")]


def test_run_digest_refuses_an_absurd_day_before_recording_a_run(store: Store) -> None:
    from datetime import date

    from kuzet.digest import run_digest
    from kuzet.errors import DigestError

    with pytest.raises(DigestError):
        run_digest(store, date(1, 1, 1))
    assert store.db.execute("SELECT count(*) FROM runs WHERE job = 'digest'").fetchone()[0] == 0
