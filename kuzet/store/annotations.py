"""What the NLP stage reads and writes: documents awaiting annotation, flags, legal references."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kuzet.documents import now_iso

_PENDING = (
    "(rules_version IS NULL OR rules_version != :rules) AND (:since IS NULL OR dated_utc >= :since)"
)


class AnnotationsMixin:
    """Annotation records (mixed into Store)."""

    def documents_to_annotate(
        self,
        rules_version: str,
        *,
        limit: int | None = None,
        since: str | None = None,
        after_id: int = 0,
    ) -> list[dict[str, Any]]:
        """Documents not yet annotated under `rules_version`, by id, from after `after_id`."""
        return self._rows(
            "SELECT id, title, text, lang, version FROM documents WHERE "
            f"{_PENDING} AND id > :after ORDER BY id LIMIT :limit",
            {
                "rules": rules_version,
                "since": since,
                "after": after_id,
                "limit": -1 if limit is None else limit,
            },
        )

    def count_to_annotate(self, rules_version: str, *, since: str | None = None) -> int:
        """How many documents are not yet annotated under `rules_version`."""
        row = self.db.execute(
            f"SELECT count(*) FROM documents WHERE {_PENDING}",
            {"rules": rules_version, "since": since},
        ).fetchone()
        return int(row[0])

    def save_annotations(self, rules_version: str, results: Iterable[dict[str, Any]]) -> None:
        """Store NLP results in one transaction.

        Each result: `id`, `version` (the document version annotated), `lang`, `lemmas`,
        `topics` ({label: {score, flagged, evidence}}) and `legal` (list of references).
        A document whose text changed meanwhile (other version) is left for the next run.
        """
        now = now_iso()
        with self._writing():
            for r in results:
                cur = self.db.execute(
                    "UPDATE documents SET lang = :lang, lemmas = :lemmas, topics = :topics, "
                    "rules_version = :rules WHERE id = :id AND version = :version",
                    {
                        "lang": r["lang"],
                        "lemmas": r["lemmas"],
                        "rules": rules_version,
                        "topics": json.dumps([t for t, v in r["topics"].items() if v["flagged"]]),
                        "id": r["id"],
                        "version": r["version"],
                    },
                )
                if cur.rowcount:
                    self._replace_annotations(rules_version, r, now)

    def _replace_annotations(self, rules_version: str, r: dict[str, Any], now: str) -> None:
        key = {"id": r["id"], "rules": rules_version}
        self.db.execute(
            "DELETE FROM annotations WHERE document_id = :id AND rules_version = :rules", key
        )
        self.db.execute(
            "DELETE FROM legal_refs WHERE document_id = :id AND rules_version = :rules", key
        )
        for topic, v in r["topics"].items():
            self.db.execute(
                "INSERT INTO annotations (document_id, rules_version, topic, score, flagged, "
                "evidence, doc_version, annotated_at) VALUES (?,?,?,?,?,?,?,?)",
                [
                    r["id"],
                    rules_version,
                    topic,
                    v["score"],
                    int(v["flagged"]),
                    json.dumps(v["evidence"], ensure_ascii=False),
                    r["version"],
                    now,
                ],
            )
        for seq, ref in enumerate(r["legal"]):
            attrs = {
                k: v
                for k, v in ref.items()
                if k not in ("label", "text", "field", "start_char", "end_char")
            }
            self.db.execute(
                "INSERT INTO legal_refs (document_id, rules_version, seq, label, text, field, "
                "start_char, end_char, attrs) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    r["id"],
                    rules_version,
                    seq,
                    ref["label"],
                    ref["text"],
                    ref["field"],
                    ref["start_char"],
                    ref["end_char"],
                    json.dumps(attrs, ensure_ascii=False),
                ],
            )
