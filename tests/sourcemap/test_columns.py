"""UTF-8 byte offsets (astroid) -> code point columns (our spans)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nanscope.analysis.sourcemap import codepoint_column


def test_ascii_is_unchanged():
    assert codepoint_column("y = tf.log(x)", 4) == 4
    assert codepoint_column("y = tf.log(x)", 0) == 0


def test_multi_byte_characters_count_once():
    line = 's = "é🙂"; p = tf.log(x)'
    byte_offset = len(line[:line.index("tf")].encode("utf-8"))
    assert byte_offset == line.index("tf") + 1 + 3
    assert codepoint_column(line, byte_offset) == line.index("tf")


def test_offsets_inside_a_character_round_down_and_past_the_end_clamp():
    assert codepoint_column("é", 1) == 0
    assert codepoint_column("é", 2) == 1
    assert codepoint_column("ab", 10) == 2
    assert codepoint_column("éb", 10) == 2


@given(st.text(st.characters(exclude_characters="\n\r"), max_size=20),
       st.text(st.characters(exclude_characters="\n\r"), max_size=20))
def test_prefix_length_in_bytes_maps_to_prefix_length_in_code_points(prefix, rest):
    line = prefix + rest
    assert codepoint_column(line, len(prefix.encode("utf-8", errors="surrogatepass"))) == len(prefix)
