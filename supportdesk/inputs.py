"""What input the product accepts at all, before any form or schema reads it: the one place that
says what an id looks like and which characters no text may carry.

PostgreSQL refuses NUL in text and a lone UTF-16 surrogate cannot be encoded in UTF-8: either
reaching the database or a template is a server error, so both are refused at the door (the
request middleware in ``config/middleware.py`` and the API's ``SafeStr``). ``str.isdigit()``
accepts "²" and "٣", which ``int()`` then refuses or reads as another number: ids are parsed by
``parse_id`` only.
"""

from __future__ import annotations

import re

# The largest value of a 64-bit primary key; a longer number is no id of ours.
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}", re.ASCII)
_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def parse_id(value: object) -> int | None:
    """An id given as text (a query parameter, a form field), or None for anything else:
    ASCII digits only, within a 64-bit key, not zero."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def is_unsafe_text(value: str) -> bool:
    """True when ``value`` holds a NUL byte or a lone surrogate."""
    return _UNSAFE.search(value) is not None


# An idempotency key, from a form's hidden field or the API's ``Idempotency-Key`` header: a UUID,
# a token or any printable ASCII word up to the column's 64 characters.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_\-:.]{1,64}", re.ASCII)
