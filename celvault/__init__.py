"""celvault: anime episodes to layered, captioned, searchable training datasets."""

__version__ = "0.1.0"
