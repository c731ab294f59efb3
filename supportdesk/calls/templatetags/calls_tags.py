"""``{% consumer_lines %}``: the separate free consumer line's numbers from the regulations'
data, for the pages a consumer-product user may land on (sign-in, contracts, new request)."""

from __future__ import annotations

from django import template

from supportdesk.calls.services import consumer_lines as consumer_line_numbers

register = template.Library()


@register.inclusion_tag("components/consumer_lines.html")
def consumer_lines() -> dict:
    return {"lines": list(consumer_line_numbers().select_related("product_line"))}
