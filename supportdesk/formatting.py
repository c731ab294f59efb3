"""How dates, times and durations read, in one place, in the active language.

The date and time patterns themselves are the named formats of ``config/formats/<language>``
(``DATE_FORMAT``, ``DATETIME_FORMAT``, …): code calls the functions below, templates use the same
names (``{{ value|date:"DATETIME_FORMAT" }}``). No ISO dates in prose. Durations ("2 h 36 min")
come from ``format_minutes`` whether they are business minutes of an SLA target or the age of an
outbox row.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def format_date(value: dt.date) -> str:
    """A calendar day, e.g. "2 декабря 2026" / "2 Dec 2026"."""
    return formats.date_format(value, "DATE_FORMAT")


def format_datetime(value: dt.datetime, *, with_zone: bool = True) -> str:
    """An instant in the active (viewer's) time zone, e.g. "2 декабря 2026, 14:05 MSK"."""
    local = timezone.localtime(value)
    text = formats.date_format(local, "DATETIME_FORMAT")
    return f"{text} {local.tzname()}" if with_zone else text


def format_stored_datetime(value: str | None) -> str:
    """An instant stored as ISO text (timeline event data) in the viewer's zone; "—" for none."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return "—"
    if timezone.is_naive(moment):
        return "—"
    return format_datetime(moment)


def format_minutes(minutes: float | None, *, signed: bool = False) -> str:
    """Minutes as "3 h 20 min", "45 min", "2 h" (business minutes stay in hours, never days).

    A negative value reads as its magnitude, or with a leading minus when ``signed`` (time left
    that is already overdue: "−2 h 36 min")."""
    if minutes is None:
        return ""
    total = int(abs(minutes))
    hours, mins = divmod(total, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours})
    if mins or not hours:
        parts.append(ngettext("%(count)d min", "%(count)d min", mins) % {"count": mins})
    text = " ".join(parts)
    return f"\u2212{text}" if signed and minutes < 0 and total else text


def format_age(seconds: float) -> str:
    """A wall-clock age as "45 s", "12 min", "3 h 20 min", "2 d 4 h"."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes = seconds // 60
    if minutes < 24 * 60:
        return format_minutes(minutes)
    days, hours = divmod(minutes // 60, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
