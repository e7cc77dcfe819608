"""Search keys: width folding and case folding for matching only.

Display text keeps the source's original widths (ＡＩ stays ＡＩ); only keys built with
`search_key` are folded, so that ＡＩ, AI and ai match each other. NFKC may change the
length of a string (㍻ → 平成), so offsets into a key do not map back onto the display text.
"""

from __future__ import annotations

import unicodedata


def search_key(text: str) -> str:
    """NFKC-normalize (full-width → half-width ASCII, half-width kana → full-width) and lower-case."""
    return unicodedata.normalize("NFKC", text).lower()
