"""Pure parsing of fetched pages: one module per kind of page, no Scrapy imports.

Every function takes the page's text (or bytes) and URL and returns plain values.
"""
