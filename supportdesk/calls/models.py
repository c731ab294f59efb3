"""The dispatcher's phone line: each inbound call with its line, IVR branch and outcome; the
callback requests left outside the line's hours or when nobody of the caller's language was
free; and whether each dispatcher is taking calls."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Language


class Call(models.Model):
    """One inbound call as the dispatcher took it."""

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        REGISTERED = "registered", _("Request registered")
        CALLBACK = "callback", _("Callback requested")
        CONSUMER_LINE = "consumer_line", _("Sent to the consumer line")
        ESCALATION = "escalation", _("Escalation")
        REOPEN = "reopen", _("Request reopened")
        INFORMATION = "information", _("Information only")

    received_at = models.DateTimeField(_("received"), db_index=True)
    dispatcher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatcher"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    hotline = models.ForeignKey(
        "regulations.HotlineNumber",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ivr_branch = models.ForeignKey(
        "catalog.ProductLine",
        verbose_name=_("IVR choice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    line_open = models.BooleanField(_("within the line's hours"), default=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=60, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("caller"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.IN_PROGRESS
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"


class CallbackRequest(models.Model):
    """A caller's request to be called back: due at the line's next opening plus the
    regulation's target; given up (and the customer e-mailed) after the regulation's tries."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a callback")
        REACHED = "reached", _("Caller reached")
        NOT_REACHED = "not_reached", _("Not reached")

    call = models.OneToOneField(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="callback"
    )
    regulation = models.ForeignKey(
        "regulations.Regulation",
        verbose_name=_("regulation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("caller"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    phone = models.CharField(_("phone"), max_length=60)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    note = models.TextField(_("what the caller needs"), blank=True)
    created_at = models.DateTimeField(_("requested"))
    due_at = models.DateTimeField(_("call back by"), db_index=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.OPEN, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.phone} {self.get_state_display()}"


class DispatcherPresence(models.Model):
    """Whether a dispatcher takes calls now (available) or not (away)."""

    dispatcher = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatcher"),
        on_delete=models.CASCADE,
        related_name="dispatcher_presence",
    )
    available = models.BooleanField(_("available"), default=False)
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        verbose_name = _("dispatcher availability")
        verbose_name_plural = _("dispatcher availability")

    def __str__(self) -> str:
        return f"{self.dispatcher}: {self.available}"
