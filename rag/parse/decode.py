"""Bytes → str for text minutes: UTF-8 (with or without BOM), then CP932/Shift_JIS, then a guess.

Strict UTF-8 is tried first and strict CP932 second, because a detector can mistake short
Japanese texts for other code pages; charset-normalizer is consulted only after both fail, and
its guess is accepted only for Japanese-capable encodings (EUC-JP, ISO-2022-JP, UTF-16/32).
Binary data (NUL bytes, many control characters) is refused.
"""

from __future__ import annotations

import logging

from charset_normalizer import from_bytes

from rag.errors import ParseError

log = logging.getLogger(__name__)

_ACCEPTED_GUESSES = {
    "euc_jp",
    "euc_jis_2004",
    "euc_jisx0213",
    "iso2022_jp",
    "iso2022_jp_2",
    "iso2022_jp_ext",
    "shift_jis_2004",
    "shift_jisx0213",
    "utf_16",
    "utf_16_le",
    "utf_16_be",
    "utf_32",
}
_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D, 0x1B}


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:65536]
    controls = sum(1 for b in sample if (b < 0x20 and b not in _ALLOWED_CONTROLS) or b == 0x7F)
    return controls > max(2, len(sample) // 100)


def _mostly_halfwidth_kana(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    kana = sum(1 for ch in non_ascii if "\uff61" <= ch <= "\uff9f")
    return bool(non_ascii) and kana * 5 > len(non_ascii)


def decode_text(name: str, data: bytes) -> str:
    """Decode the bytes of a text file; raise ParseError("<name>: <reason>") when they are not text."""
    if not data:
        raise ParseError(f"{name}: the file is empty (0 bytes)")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise ParseError(f"{name}: undecodable text (BOM says {codec} but {exc.reason})") from exc
    if _looks_binary(data):
        raise ParseError(f"{name}: binary data, not text (NUL or control bytes found)")
    if b"\x1b$B" in data or b"\x1b$@" in data:
        try:
            return data.decode("iso2022_jp")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        pass
    else:
        if not _mostly_halfwidth_kana(text):
            return text
        try:  # EUC-JP read as CP932 turns into half-width katakana soup
            return data.decode("euc_jp")
        except UnicodeDecodeError:
            return text
    best = from_bytes(data).best()
    if best is not None and best.encoding in _ACCEPTED_GUESSES:
        log.info("%s: decoded as %s (guessed)", name, best.encoding)
        return str(best)
    guess = best.encoding if best is not None else "none"
    raise ParseError(
        f"{name}: undecodable text (not UTF-8, Shift_JIS/CP932 or another Japanese encoding; best guess {guess}); "
        "save the file as UTF-8"
    )
