"""Entitlement: which contract a registration falls under, and whether it may proceed."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from supportdesk.catalog.models import Product
from supportdesk.contracts.models import Contract
from supportdesk.regulations.models import ChannelRule, HotlineNumber, SupportLevel


def allowed_channel_rules(*, level: SupportLevel, product: Product | None = None) -> QuerySet:
    """The channel rules of the level's regulation that apply to this level and product."""
    rules = ChannelRule.objects.filter(regulation_id=level.regulation_id).filter(
        Q(levels__isnull=True) | Q(levels=level)
    )
    if product is not None:
        rules = rules.filter(Q(product_line__isnull=True) | Q(product_line_id=product.line_id))
    return rules.distinct()


def channel_allowed(*, level: SupportLevel, channel: str, product: Product | None) -> bool:
    return allowed_channel_rules(level=level, product=product).filter(channel=channel).exists()


def hotlines_for(*, level: SupportLevel) -> QuerySet:
    """Hotline numbers the customer of this level may call."""
    return (
        HotlineNumber.objects.filter(regulation_id=level.regulation_id, product_line__isnull=True)
        .filter(Q(levels__isnull=True) | Q(levels=level))
        .distinct()
        .order_by("order", "country")
    )


def active_contracts(*, organization_id: int, day: datetime.date) -> QuerySet:
    return Contract.objects.filter(
        organization_id=organization_id, valid_from__lte=day, valid_to__gte=day
    ).select_related("level", "regulation")
