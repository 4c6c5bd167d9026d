"""Safe folder and file names from user text (character names, triggers, class tokens)."""

from __future__ import annotations

import re
import unicodedata

UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"\'<>|`$]+')
MAX_LEN = 80


def safe_component(text: str, fallback: str = "unnamed") -> str:
    """One path component that cannot escape its folder: no separators, quotes, control
    characters, leading dots or trailing spaces; `..` and empty names become `fallback`."""
    name = unicodedata.normalize("NFKC", str(text))
    name = UNSAFE.sub("_", name)
    name = " ".join(name.split())  # newlines and tabs were replaced; runs of spaces collapse
    name = name.strip(" .")
    name = name[:MAX_LEN].rstrip(" .")
    return name or fallback


def caption_text(text: str) -> str:
    """A caption on one line (kohya reads the whole .txt as the caption)."""
    return " ".join(str(text).split())
