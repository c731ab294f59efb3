"""Knowledge base articles, and the suggestions customers opened while writing a request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        CUSTOMERS = "customers", _("Customers only")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    language = models.CharField(
        _("language"), max_length=5, choices=[("ru", _("Russian")), ("en", _("English"))]
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: applies to every product."),
    )
    versions = models.CharField(
        _("versions"), max_length=100, blank=True, help_text=_("e.g. 14.3 RU8, 14.3 RU9")
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.CUSTOMERS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("drafted from request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "language"], name="kb_article_status_language")]

    def __str__(self) -> str:
        return self.title


class SuggestionOpen(models.Model):
    """A suggested article a customer opened while writing a new request; ``ticket`` is set when
    the same session then submitted a request (else the suggestion may have answered them)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestion_opens")
    session_key = models.CharField(max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"))
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("opened suggestion")
        verbose_name_plural = _("opened suggestions")
        indexes = [models.Index(fields=["opened_at"], name="kb_suggestion_opened")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.opened_at:%Y-%m-%d %H:%M}"
