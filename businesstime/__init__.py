"""Pure-Python business calendars: deadlines in business time over holidays, DST and pauses.

No Django, no Celery: the SLA app maps regulation rows onto these functions.
"""

from businesstime.calendar import (
    WorkingCalendar,
    add_business_minutes,
    business_minutes_between,
    end_of_nth_working_day_after,
    is_working_time,
    next_opening,
)

__all__ = [
    "WorkingCalendar",
    "add_business_minutes",
    "business_minutes_between",
    "end_of_nth_working_day_after",
    "is_working_time",
    "next_opening",
]
