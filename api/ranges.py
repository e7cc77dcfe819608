"""Byte ranges (RFC 9110 §14) for the stored source PDFs: a PDF viewer opening ``#page=N`` of a long PDF asks for
the parts it needs instead of the whole file.

One range per request is served (``bytes=0-1023``, ``bytes=1024-``, ``bytes=-500``); a header with several
ranges, another unit or a malformed spec is ignored, as the RFC allows, and the whole body is sent. A range that
starts past the end is unsatisfiable (416). ``If-Range`` with another entity tag than the current one also sends
the whole body, so a client never stitches parts of two versions together.
"""

from __future__ import annotations

import re

_SPEC = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class RangeNotSatisfiable(Exception):
    """The Range header asks for bytes the body does not have; answer 416 with ``Content-Range: bytes */size``."""


def byte_range(header: str | None, size: int, *, if_range: str | None = None, etag: str = "") -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` byte positions to send, or None for the whole body (no header, several
    ranges, a malformed one, or an ``If-Range`` that is not ``etag``). Raises RangeNotSatisfiable when the
    range lies wholly past the end (or the body is empty)."""
    if not header or (if_range is not None and if_range.strip() != etag):
        return None
    match = _SPEC.match(header)
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(f"bytes -{n} of an object of {size} bytes")
        return max(0, size - n), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        raise RangeNotSatisfiable(f"bytes {start}- of an object of {size} bytes")
    return start, min(int(last), size - 1) if last else size - 1
