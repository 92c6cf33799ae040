"""What every table and column means: the source of docs/schema.md and the web UI's metadata."""

from __future__ import annotations

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "sources": (
        "Where documents come from: one row per configured source (or per site an import named).",
        {
            "id": "Short slug of the source, e.g. `vlast` or `adilet`; documents.source refers "
            "to it.",
            "name": "Human-readable name.",
            "kind": "Kind of source: `news`, `legislation`, `ngo`, or `unknown` for sources "
            "created by an import.",
            "url": "Entry page of the source, if known.",
            "langs": "JSON array of the language codes it publishes in.",
            "enabled": "1 if the crawler visits it, 0 if switched off in configuration.",
            "added_at": "When the row was created (ISO 8601, UTC).",
        },
    ),
    "documents": (
        "Every stored document in its current version: news articles, laws, drafts, bill "
        "pages. Earlier versions are in document_versions.",
        {
            "id": "Stable integer id (never reused); `kuzet show ID` prints the record.",
            "url": "Canonical URL (lower-case host, no fragment or tracking parameters); unique.",
            "source": "The source's id (sources.id).",
            "kind": "`news`, `law` (an act on adilet.zan.kz), `draft` (a draft open for public "
            "discussion) or `bill_page` (a bill's page in Parliament or a signing "
            "notice).",
            "lang": "Language code: `ru`, `kk` or `en`.",
            "title": "Title as published.",
            "text": "Main text, cleaned of markup.",
            "lemmas": "Normalised word forms of title and text, filled by the NLP stage so that "
            "search matches inflected Russian and Kazakh; NULL until annotated.",
            "published_at": "Publication date given by the source (ISO 8601 with offset), if any.",
            "fetched_at": "When this version was fetched or imported (ISO 8601 with offset).",
            "dated_utc": "Generated: published_at, or fetched_at when there is none, in UTC "
            "(`YYYY-MM-DDTHH:MM:SSZ`). Date filters and date sorting use it.",
            "facets": "Generated: filter values as search tokens, so a filtered full-text search "
            "intersects posting lists: `zt<topic>` per flagged topic (underscores dropped) and "
            "`zt<topic><yyyymm>` with the month, "
            "`zl<lang>`, `zk<kind>`, `zy<year>`, `zm<yyyymm>`, `zd<yyyymmdd>` of dated_utc.",
            "sha256": "SHA-256 of `text` (UTF-8); a new value means a new version.",
            "version": "1 for the first text seen at this URL, +1 each time the text changed.",
            "topics": "JSON array of the topics flagged under the current rules: `sogi`, "
            "`hate_crime`, `anti_discrimination`.",
            "rules_version": "Hash of the rule files the current annotations were made with; "
            "NULL when the document awaits annotation.",
            "first_seen_at": "When the URL was first stored (ISO 8601, UTC).",
            "updated_at": "When the row last changed (ISO 8601, UTC).",
            "meta": "JSON object of facts the source gave besides the text (act type and "
            "status on adilet, status and dates of a draft, a bill's registration number...).",
            "warc_file": "Evidence archive: WARC file (under `$KUZET_VAR/archive/`) holding the "
            "HTTP response this version was read from; NULL for imported documents.",
            "warc_offset": "Byte offset of that response record in the WARC file; "
            "`kuzet archive show ID` prints it.",
            "payload_sha256": "SHA-256 of the archived HTTP payload (the body as received, "
            "after transfer decoding).",
            "cluster_id": "Story cluster: near-identical news articles (syndicated or re-posted "
            "copies) share it; it is the smallest document id in the cluster, and a document "
            "alone is its own cluster. NULL until clustered (after annotation). `kuzet search "
            "--fold` and the digest show one entry per cluster.",
            "cluster_sha": "The sha256 of the text that was clustered; when it differs from "
            "`sha256` the document is clustered again.",
        },
    ),
    "document_versions": (
        "Earlier texts of documents whose text changed: the history behind documents.version.",
        {
            "document_id": "The document (documents.id).",
            "version": "Which version this was.",
            "title": "Title of that version.",
            "text": "Text of that version.",
            "sha256": "SHA-256 of that text.",
            "published_at": "Publication date recorded with that version.",
            "fetched_at": "When that version was fetched.",
            "superseded_at": "When a newer text replaced it.",
            "warc_file": "WARC file holding the response that version was read from.",
            "warc_offset": "Offset of that response record in the WARC file.",
            "payload_sha256": "SHA-256 of that archived payload.",
        },
    ),
    "annotations": (
        "Topic scores and the evidence behind them, per document and rules version.",
        {
            "document_id": "The document (documents.id).",
            "rules_version": "Hash of the rule files used.",
            "topic": "`sogi`, `hate_crime` or `anti_discrimination`.",
            "score": "Weighted score of the matched rules.",
            "flagged": "1 if the score passed the topic's threshold.",
            "evidence": "JSON array: rule id, matched text, character offsets and sentence for "
            "each match.",
            "doc_version": "The documents.version that was annotated.",
            "annotated_at": "When (ISO 8601, UTC).",
        },
    ),
    "legal_refs": (
        "Legal references and bill-stage phrases the NLP stage found in each document: "
        "articles of codes, law titles, adilet ids, bill numbers, stages with their dates.",
        {
            "document_id": "The document (documents.id).",
            "rules_version": "Hash of the rule files used (as in annotations).",
            "seq": "Order of the reference within the document.",
            "label": "`ARTICLE`, `LAW_TITLE`, `ADILET_ID`, `BILL_NUMBER` or `STAGE`.",
            "text": "The words as they stand in the document.",
            "field": "`title` or `text`: where the offsets point.",
            "start_char": "Offset of the first character in that field.",
            "end_char": "Offset after the last character.",
            "attrs": "JSON object: `article`, `part`, `code` for ARTICLE; `title`; "
            "`adilet_id`; `number`; `stage` and `date` (YYYY-MM-DD or null) for STAGE.",
        },
    ),
    "minhash_bands": (
        "Index for finding near-identical articles: one row per band of a news article's "
        "MinHash signature (24 bands of 3 hashes over its three-word shingles). Articles "
        "sharing a band key are compared exactly (see kuzet/clusters.py).",
        {
            "band_key": "Hash of one band of the signature (signed 64-bit).",
            "document_id": "The document (documents.id).",
        },
    ),
    "bills": (
        "Bills followed through their stages, one row per bill across all sources (a draft on "
        "legalacts, its Parliament pages, the signing on akorda, the act on adilet, news). "
        "Derived by `kuzet alerts`; see README, *Bills and alerts*.",
        {
            "id": "Integer id.",
            "key": "Stable identity made from the first identifier seen (`Z2500000250`, "
            "`legalacts-15210`, `kurultai-3101`...); never changes, used in commands and in the "
            "outbox dedupe keys of its alerts.",
            "title_ru": "Russian title, from the most official source that gave one (adilet, then "
            "Parliament, legalacts, akorda).",
            "title_kk": "Kazakh title (adilet's Kazakh page, or a Kazakh bill page).",
            "identifiers": "JSON object: `adilet` ids, `legalacts` ids, `registration` numbers "
            "(Senate `С-412`), law `number`s (`312-VIII`), Parliament and akorda `page`s, and "
            "`other_titles` the bill also had (a renamed bill).",
            "initiator": "Who introduced it: `Government` (with the drafting ministry), "
            "`deputies` or `President`.",
            "stage": "Current stage, from the fixed vocabulary (e.g. `first_reading`, `signed`): "
            "the last event of the timeline by date and process order.",
            "stage_date": "Date (YYYY-MM-DD) of the current stage; NULL if its source gave none.",
            "topics": "JSON array of the topics that make it relevant: flags of its own pages, and "
            "of news items about it and no other bill.",
            "tracked": "1 if followed by hand (`kuzet bills track`) whatever its topics.",
            "first_seen_at": "When it was first seen (ISO 8601, UTC).",
            "updated_at": "When the row last changed (ISO 8601, UTC).",
            "announced": "How the bill was first made known once relevant: `alert` (a new-bill "
            "e-mail), `baseline` (the summary of the first relevant bills found), `tracked` "
            "(tracked by hand first), `history` (its latest move was older than `[alerts] "
            "max_age_days`); NULL while not relevant.",
            "announced_at": "When that happened (ISO 8601, UTC).",
        },
    ),
    "bill_events": (
        "A bill's timeline: one row per stage reached, with its date and source; a second "
        "report of the same event is added to its evidence, not stored again.",
        {
            "id": "Integer id.",
            "bill_id": "The bill (bills.id).",
            "stage": "Stage reached, from the fixed vocabulary (see README).",
            "event_date": "Date of the event (YYYY-MM-DD); NULL if no source gave one.",
            "source": "Source id that reported it (the best-dated report).",
            "document_id": "Document that is the evidence (documents.id), if any.",
            "url": "Page that reported it.",
            "evidence": "JSON object: `basis` (`table`, `list`, `info`, `phrase`, `text`, "
            "`index`, `reported`: what gave the date), `origin` (`page` or `news`), the `phrase` "
            "and `sentence` that showed the stage, and `also`: other reports of it.",
            "recorded_at": "When Kuzet recorded it (ISO 8601, UTC).",
            "alert": "What was mailed about it: `alert` (its own alert), `new_bill` (in the "
            "bill's new-bill alert), `baseline` (in the summary of the first relevant bills "
            "found), `history` (older history, recorded without mail), `quiet` (the bill was not "
            "followed then).",
        },
    ),
    "bill_aliases": (
        "What a bill is recognised by: identifiers and title cores (a title without its "
        "boilerplate, normalised), so that documents from other sources find the same bill.",
        {
            "bill_id": "The bill (bills.id).",
            "kind": "`adilet`, `legalacts`, `registration`, `number`, `page`, or `title_ru` / "
            "`title_kk` / `title_en` for a title core.",
            "value": "The identifier in its one written form, or the title core (an amendment "
            "bill's core is `amend:` and the amended law's core).",
        },
    ),
    "bill_documents": (
        "The documents about each bill: its own pages (`source`) and news items naming it.",
        {
            "bill_id": "The bill (bills.id).",
            "document_id": "The document (documents.id).",
            "role": "`source` (a legislation page about this bill) or `news`.",
            "matched_by": "How the document was recognised: `same document`, an identifier "
            "(`adilet Z2500000250`), `title`, `law title`, `title in text`, `first seen here`.",
            "linked_at": "When the link was made (ISO 8601, UTC).",
        },
    ),
    "bill_news_scans": (
        "Which news items the bill tracker has read, and against which bills: a check reads "
        "again only news that changed, was re-annotated, or may name a bill that appeared since.",
        {
            "document_id": "The news item (documents.id).",
            "version": "The documents.version read.",
            "rules_version": "The rules version of the legal references read.",
            "aliases": "How far bill_aliases went (its largest rowid) when it was read: aliases "
            "added later are looked for in it at the next check.",
            "scanned_at": "When (ISO 8601, UTC).",
        },
    ),
    "runs": (
        "One row per job run (crawl of a source, import, annotation, alerts, digest).",
        {
            "id": "Integer id.",
            "job": "`crawl`, `import`, `annotate`, `alerts`, `digest`.",
            "source": "Source id, for crawls and imports.",
            "started_at": "Start (ISO 8601, UTC).",
            "finished_at": "End (ISO 8601, UTC); NULL while running or if it died.",
            "status": "`running`, `ok`, `partial` (some items failed) or `failed`.",
            "method": "How the source answered: `feed`, `sitemap`, `listing`, `import`.",
            "pages": "Pages fetched or lines read.",
            "new_docs": "Documents added.",
            "changed_docs": "Documents whose text changed (new versions).",
            "errors": "How many pages or lines failed.",
            "message": "Last error or a note.",
            "warnings": "How many warnings the run raised (e.g. a listing whose selectors "
            "matched nothing); the message says which.",
            "pid": "Process id of the program that ran it. A `running` row whose process is "
            "gone was interrupted; the scheduler closes such rows as `failed` when it starts.",
        },
    ),
    "http_validators": (
        "ETag and Last-Modified seen for feeds and sitemaps, sent back as conditional "
        "requests so an unchanged feed costs a 304.",
        {
            "url": "The feed or sitemap URL as requested.",
            "etag": "Last ETag header received, if any.",
            "last_modified": "Last Last-Modified header received, if any.",
            "checked_at": "When the URL last answered (ISO 8601, UTC).",
        },
    ),
    "outbox": (
        "Email waiting to be sent or already sent (alerts, digests, operations notices).",
        {
            "id": "Integer id.",
            "message_id": "Stable Message-ID header, so a retry is never a duplicate.",
            "dedupe_key": "What the message is about (e.g. bill and event); unique.",
            "kind": "`alert`, `digest` or `ops`.",
            "recipients": "JSON array of addresses.",
            "subject": "Subject line.",
            "body_text": "Plain-text body.",
            "body_html": "HTML body, if any.",
            "created_at": "When queued (ISO 8601, UTC).",
            "status": "`pending`, `sent` or `failed`.",
            "attempts": "Delivery attempts so far.",
            "next_attempt_at": "Earliest next attempt after a failure.",
            "last_error": "Last delivery error.",
            "sent_at": "When the server accepted it (or the .eml file was written).",
            "raw": "The whole message (RFC 5322 bytes) exactly as it is sent, built once when "
            "queued so every retry is identical.",
            "delivered_via": "`smtp HOST:PORT` or `file PATH` (no mail server configured).",
        },
    ),
    "documents_fts": (
        "Full-text index (SQLite FTS5) over documents.title, text and lemmas; query it with "
        "`documents_fts MATCH 'words'` joined on documents.id = documents_fts.rowid.",
        {
            "title": "Indexed title.",
            "text": "Indexed text.",
            "lemmas": "Indexed normalised word forms.",
            "facets": "Indexed filter tokens (documents.facets), weight 0 in ranking.",
        },
    ),
    "_sqlite_migrations": (
        "The schema migrations applied to this database, in order.",
        {
            "id": "Integer id.",
            "migration_set": "Always `kuzet`.",
            "name": "Migration name, e.g. `0001_initial`.",
            "applied_at": "When it was applied (UTC).",
        },
    ),
}


def markdown() -> str:
    """The text of docs/schema.md."""
    lines = [
        "# Database schema",
        "",
        "Kuzet keeps everything in one SQLite file (default `var/kuzet.db`; `--db` or `KUZET_DB`",
        "to change it). Timestamps are ISO 8601 text with an explicit offset; JSON columns hold",
        "JSON text (use SQLite's `json_each()` to unpack them). This file is generated from",
        "`kuzet/schema_docs.py` by `kuzet schema > docs/schema.md`; a test keeps the two in step.",
        "",
        "Example: documents flagged `sogi` in Kazakh since October 2026, newest first:",
        "",
        "```sql",
        "SELECT id, dated_utc, source, title FROM documents",
        "WHERE lang = 'kk' AND dated_utc >= '2026-10-01'",
        "  AND EXISTS (SELECT 1 FROM json_each(topics) WHERE value = 'sogi')",
        "ORDER BY dated_utc DESC;",
        "```",
        "",
    ]
    for table, (about, columns) in TABLES.items():
        lines += [f"## `{table}`", "", about, "", "| column | meaning |", "| --- | --- |"]
        lines += [f"| `{name}` | {text} |" for name, text in columns.items()]
        lines.append("")
    return "\n".join(lines)
