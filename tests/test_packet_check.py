"""The iterative binary check answers exactly as python-socketio's own (realtime/packets.py)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.realtime.packets import LIBRARY_CHECK, data_is_binary
from socketio.packet import Packet

leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                   st.binary(max_size=3), st.binary(max_size=3).map(bytearray))
payloads = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4),
    st.tuples(inner, inner)), max_leaves=25)


class Library:
    """The library's check, recursing into itself (not into the installed replacement)."""

    data_is_binary = LIBRARY_CHECK


@settings(max_examples=400, deadline=None)
@given(payloads)
def test_same_answer_as_the_librarys(data):
    assert data_is_binary(Packet, data) == Library.data_is_binary(data)


def test_installed_for_every_packet(app):
    assert Packet.data_is_binary({"a": [1, {"b": b"x"}]}) is True
    assert Packet.data_is_binary({"a": [1, {"b": "x"}], "c": (b"tuples are not looked into",)}) is False
    assert Packet.__dict__["data_is_binary"].__func__ is data_is_binary
