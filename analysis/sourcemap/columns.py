"""Column conversion: astroid (like `ast`) gives UTF-8 byte offsets; our spans count Unicode code points.

This is the one place that converts between the two.
"""
from __future__ import annotations


def codepoint_column(line_text: str, byte_offset: int) -> int:
    """The 0-based code point column of a UTF-8 byte offset into `line_text` (one line, no newline).

    An offset inside a multi-byte character rounds down to that character; offsets past the end of the
    line clamp to its length.
    """
    if byte_offset <= 0:
        return 0
    if line_text.isascii():
        return min(byte_offset, len(line_text))
    column = consumed = 0
    for character in line_text:
        consumed += _utf8_length(character)
        if consumed > byte_offset:
            break
        column += 1
    return column


def _utf8_length(character: str) -> int:
    code = ord(character)
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    return 3 if code < 0x10000 else 4     # lone surrogates count 3, as Python's "surrogatepass" encodes them
