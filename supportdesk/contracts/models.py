"""Support contracts (their number is the Support ID) and license keys bound to them."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Contract(models.Model):
    support_id = models.CharField(_("Support ID"), max_length=40, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    regulation = models.ForeignKey(
        "regulations.Regulation",
        verbose_name=_("regulation"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    level = models.ForeignKey(
        "regulations.SupportLevel",
        verbose_name=_("support level"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("products covered"), related_name="contracts"
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["support_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="contract_period_valid"
            )
        ]

    def __str__(self) -> str:
        return self.support_id

    def is_active_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day <= self.valid_to


class LicenseKey(models.Model):
    key = models.CharField(_("license key"), max_length=100, unique=True)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="license_keys"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("license key")
        verbose_name_plural = _("license keys")

    def __str__(self) -> str:
        return self.key
