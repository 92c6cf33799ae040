"""Scrapy settings for the Kuzet crawler; nothing clever. `crawler/run.py` adds per-run values."""

BOT_NAME = "kuzet"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# No listening ports, no job files under the user's home.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Politeness: robots.txt, AutoThrottle, two requests at a time per domain.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Overwritten from data/sources.toml ([crawler] contact) by crawler/run.py.
USER_AGENT = "KuzetBot/0.1 (+monitoring of LGBT rights in Kazakhstan)"

# Robustness: timeouts, retries with backoff, size limits, bounded redirects.
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
KUZET_RETRY_BASE_DELAY = 2.0
KUZET_RETRY_MAX_DELAY = 120.0
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = True

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SampleHostsMiddleware": 60,
    "crawler.middlewares.ConditionalRequestMiddleware": 450,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.UndeclaredEncodingMiddleware": 582,
    "crawler.middlewares.WarcArchiveMiddleware": 585,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.NormalisePipeline": 200,
    "crawler.pipelines.SkipUnchangedPipeline": 300,
    "crawler.pipelines.StorePipeline": 400,
}
EXTENSIONS = {"crawler.extensions.RunRecorder": 500}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Kuzet's own settings (set by crawler/run.py): the database, and sample mode's proxy.
KUZET_DB = None
KUZET_SAMPLE_PROXY = None
