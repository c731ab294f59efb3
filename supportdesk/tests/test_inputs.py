"""supportdesk.inputs: what an id looks like, which characters no text may carry."""

import pytest

from supportdesk.inputs import MAX_ID, is_unsafe_text, parse_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (42, 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 30, None),
        ("0", None),
        ("-1", None),
        ("²", None),
        ("١٢", None),
        ("4²", None),
        (" 42", None),
        ("42\n", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def test_unsafe_text():
    assert is_unsafe_text("a\x00b")
    assert is_unsafe_text("x\ud800")
    assert not is_unsafe_text('Q&A: "quotes" <tags> 😀 Щ\r\n')
