"""Settings that come from the environment: where generated data lives."""

from __future__ import annotations

import os
from pathlib import Path

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
