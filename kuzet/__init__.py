"""Kuzet: keeps watch on LGBT people's rights in Kazakhstan."""

__version__ = "0.1.0"
