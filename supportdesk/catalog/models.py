"""The vendor's products: product lines, products and their versions."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ProductLine(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    is_consumer = models.BooleanField(
        _("consumer line"),
        default=False,
        help_text=_("Served by a separate free support line, not by contract support."),
    )

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language: the English one when English is active and given."""
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Product(models.Model):
    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("full product name"), max_length=200)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductVersion(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="versions"
    )
    name = models.CharField(_("version"), max_length=60)
    released_on = models.DateField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("product version")
        verbose_name_plural = _("product versions")
        ordering = ["product", "-released_on", "-name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="unique_version_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.name}"
