"""Project exceptions. Each carries a message a user can act on, in one line."""


class KuzetError(Exception):
    """Base class: anything the CLI reports as a one-line error."""


class ConfigError(KuzetError):
    """Raised when a setting or environment variable has an invalid value."""


class StoreError(KuzetError):
    """Raised when the database cannot be opened, read or written."""


class DatabaseNotFoundError(StoreError):
    """Raised when a read-only command names a database file that does not exist."""


class SchemaTooNewError(StoreError):
    """Raised when the database was made by a newer version of Kuzet."""


class RulesError(KuzetError):
    """Raised when a topic rule file is malformed or missing; the message names file and line."""


class SearchSyntaxError(KuzetError):
    """Raised when a full-text query is malformed."""


class FilterError(KuzetError):
    """Raised when a search filter has an unknown or malformed value."""


class ImportLineError(KuzetError):
    """Raised for one bad line of an import file; the import goes on with the rest."""


class NotFoundError(KuzetError):
    """Raised when a record asked for by id or URL does not exist."""


class OutputError(KuzetError):
    """Raised when an output file cannot be written."""


class CrawlError(KuzetError):
    """Raised when a crawl cannot start or its process fails as a whole."""


class ArchiveError(KuzetError):
    """Raised when a WARC record cannot be found or read."""


class MailError(KuzetError):
    """Raised when a message cannot be built, or the mail server refuses or cannot be reached."""


class SchedulerRunningError(KuzetError):
    """Raised when a scheduler is started on a database another scheduler is running on."""


class DigestError(KuzetError):
    """Raised when a digest cannot be built for the day asked (e.g. a day in the future)."""
