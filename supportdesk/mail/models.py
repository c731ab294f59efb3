"""Incoming e-mail: the mailboxes we read, and every message taken with its outcome."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An IMAP mailbox polled for a regulation (and optionally one of its product lines).

    Credentials are never stored: the row names the environment variables that hold them.
    """

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS from the start (IMAPS)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (only on a trusted local network)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(
        _("address"), help_text=_("The address customers write to; our own mail is never answered.")
    )
    regulation = models.ForeignKey(
        "regulations.Regulation",
        verbose_name=_("regulation"),
        on_delete=models.PROTECT,
        related_name="mailboxes",
    )
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every product line of the regulation."),
    )
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(
        _("connection security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(
        _("move processed mail to"),
        max_length=200,
        blank=True,
        help_text=_("Empty: processed mail stays in the folder, flagged as seen."),
    )
    username_env = models.CharField(
        _("environment variable with the user name"), max_length=100, default="IMAP_USER"
    )
    password_env = models.CharField(
        _("environment variable with the password"), max_length=100, default="IMAP_PASSWORD"
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class Outcome(models.TextChoices):
    TICKET = "ticket", _("New request registered")
    REFUSED = "refused", _("Registration refused, answered")
    REPLY = "reply", _("Reply added to a request")
    REJECTED_REPLY = "rejected_reply", _("Reply not accepted by e-mail, answered")
    POLICY_ANSWER = "policy_answer", _("E-mail not a channel here, answered")
    QUARANTINE = "quarantine", _("Quarantine")
    IGNORED_LOOP = "ignored_loop", _("Automatic mail, ignored")
    DUPLICATE = "duplicate", _("Duplicate, ignored")


class Reason(models.TextChoices):
    """Why a message ended as it did; ``InboundMessage.detail`` adds the particulars."""

    REGISTERED = "registered", _("Registered as a new request")
    REFUSED = "refused", _("The registration was refused")
    REPLIED = "replied", _("Added to the request as the customer's reply")
    REPLIES_NOT_ACCEPTED = (
        "replies_not_accepted",
        _("The regulation does not accept replies by e-mail"),
    )
    REPLY_REFUSED = "reply_refused", _("The request does not take this reply")
    CHANNEL_NOT_ALLOWED = "channel_not_allowed", _("The regulation does not accept e-mail here")
    UNKNOWN_SENDER = "unknown_sender", _("The sender is not a known contact")
    SENDER_MAY_NOT_ACT = "sender_may_not_act", _("The sender may not act on this request")
    SUSPICIOUS_SENDER = "suspicious_sender", _("The sender address is ambiguous or malformed")
    OVERSIZED = "oversized", _("The message is too large")
    MALFORMED = "malformed", _("The message is malformed")
    TOO_COMPLEX = "too_complex", _("The message has too many parts or is nested too deep")
    NO_ROUTE = "no_route", _("No mailbox or regulation takes mail for this address")
    AUTOMATIC = "automatic", _("Automatic mail (auto-reply, bounce, list)")
    OWN_ADDRESS = "own_address", _("Sent from one of our own addresses")
    DUPLICATE = "duplicate", _("Already received")
    INTERNAL_ERROR = "internal_error", _("Processing failed; kept for an agent")
    CREATED_BY_AGENT = "created_by_agent", _("A request was created from it by an agent")


class InboundMessage(models.Model):
    """One message as received, stored with its outcome in the same transaction.

    ``dedupe_key`` is the hash of Message-ID and body (the raw message's hash without a
    Message-ID): the same message fetched again, or arriving through two mailboxes, finds the
    first row and is recorded as a duplicate of it.
    """

    Outcome = Outcome
    Reason = Reason

    received_at = models.DateTimeField(_("received"))
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    source = models.CharField(_("source"), max_length=20, default="pipe")
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 of the raw message"), max_length=64, db_index=True)
    dedupe_key = models.CharField(max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True, db_index=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    detail = models.TextField(_("details"), blank=True)
    # The sanitized HTML part (nh3), for the quarantine page's sandboxed view.
    html = models.TextField(_("HTML, sanitized"), blank=True)
    text = models.TextField(_("text"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    refusal = models.ForeignKey(
        "tickets.RefusedRegistration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    answered = models.BooleanField(_("automatic answer sent"), default=False)
    resolved_at = models.DateTimeField(_("quarantine resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mail")
        ordering = ["-received_at", "-id"]
        constraints = [
            # One original per message; the duplicates point to it.
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(outcome="duplicate"),
                name="inbound_one_original",
            )
        ]
        indexes = [
            models.Index(
                fields=["-received_at"],
                condition=Q(outcome="quarantine", resolved_at__isnull=True),
                name="inbound_open_quarantine",
            ),
            models.Index(fields=["sender", "received_at"], name="inbound_sender_time"),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.sender} {self.get_outcome_display()}"
