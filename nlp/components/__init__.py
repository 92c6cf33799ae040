"""Kuzet's own spaCy components; importing a module registers its factory."""
