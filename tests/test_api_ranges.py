"""Byte ranges for the source PDFs (api/ranges.py): positions worked out by hand for a 10-byte body, and what
the RFC says to ignore rather than refuse."""

from __future__ import annotations

import pytest

from api.ranges import RangeNotSatisfiable, byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-3", (0, 3)),  # the first 4 bytes
        ("bytes=4-", (4, 9)),  # from byte 4 to the end
        ("bytes=-3", (7, 9)),  # the last 3 bytes
        ("bytes=-30", (0, 9)),  # a suffix longer than the body: all of it
        ("bytes=8-100", (8, 9)),  # an end past the body is cut at the last byte
        ("BYTES = 2 - 2", (2, 2)),  # case and spaces
        (None, None),
        ("", None),
        ("bytes=0-1,4-5", None),  # several ranges: the whole body
        ("items=0-3", None),  # another unit
        ("bytes=5-2", None),  # last before first: invalid, ignored
        ("bytes=-", None),
        ("bytes=a-b", None),
    ],
)
def test_byte_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 10) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=12-20", 10), ("bytes=-0", 10), ("bytes=-5", 0)])
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, size)


def test_if_range_with_another_tag_sends_the_whole_body() -> None:
    assert byte_range("bytes=0-3", 10, if_range='"old"', etag='"new"') is None
    assert byte_range("bytes=0-3", 10, if_range='"new"', etag='"new"') == (0, 3)
