"""Transactional outbox: e-mails written in the caller's transaction, delivered by the relay."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.outbox.tokens import message_id_for


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    template = models.CharField(_("template"), max_length=60)
    recipients = models.JSONField(_("recipients"))
    language = models.CharField(_("language"), max_length=5)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Extra threading headers of an automatic answer (In-Reply-To, References, Auto-Submitted);
    # only the names in relay.EXTRA_HEADERS are ever sent, each value checked again there.
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    # Set when the fast retries ran out: from then on the relay tries hourly (OUTBOX_SLOW_RETRY_*)
    # and the message counts as an alert on the health page until it is delivered or abandoned.
    slow_since = models.DateTimeField(_("on the slow schedule since"), null=True, blank=True)
    # Set when a permanent SMTP answer (5xx) refused it: retrying cannot help.
    permanent_failure = models.BooleanField(_("refused permanently"), default=False)

    class Meta:
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_due",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def message_id(self) -> str:
        """Derived from the id and signed, so a retried delivery carries the same Message-ID and
        a reply quoting it can be threaded (see tokens.py)."""
        return message_id_for(self.pk)


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    success = models.BooleanField(_("success"))
    error = models.TextField(_("error"), blank=True)
    # The SMTP server's reply code when it answered (4xx temporary, 5xx permanent); null when
    # there was no answer (connection refused, timeout) or the attempt succeeded.
    smtp_code = models.PositiveSmallIntegerField(_("SMTP code"), null=True, blank=True)
    permanent = models.BooleanField(_("permanent"), default=False)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.started_at:%Y-%m-%d %H:%M:%S}"


class Resend(models.Model):
    """A manager's request to deliver a failed message again: who, when, and what it had failed
    with. The trace stays when the message is delivered."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="resends")
    requested_at = models.DateTimeField(_("requested"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    previous_state = models.CharField(_("state before"), max_length=10)
    previous_attempts = models.PositiveSmallIntegerField(_("failed attempts before"))
    previous_error = models.TextField(_("error before"), blank=True)

    class Meta:
        verbose_name = _("manual re-send")
        verbose_name_plural = _("manual re-sends")
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.requested_at:%Y-%m-%d %H:%M:%S}"
