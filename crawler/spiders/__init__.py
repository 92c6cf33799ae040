"""One spider per kind of source; each is given a source id from data/sources.toml."""
