"""Tickets, their append-only timeline, attachments, numbering and refused registrations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.contracts.entitlements import RefusalReason
from supportdesk.regulations.models import Channel

# The longest description a registration, a split or an e-mail may carry.
DESCRIPTION_MAX_LENGTH = 20_000


class TicketState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_CUSTOMER = "waiting_for_customer", _("Waiting for customer")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed by the customer")
    NO_RESPONSE = "no_response", _("No customer response")
    DUPLICATE = "duplicate", _("Duplicate or merged")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer")
    NOT_ENTITLED = "not_entitled", _("Not entitled")


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=40, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    regulation = models.ForeignKey(
        "regulations.Regulation",
        verbose_name=_("regulation"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    level = models.ForeignKey(
        "regulations.SupportLevel",
        verbose_name=_("support level"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.CharField(_("product version"), max_length=60, blank=True)
    license_key = models.ForeignKey(
        "contracts.LicenseKey",
        verbose_name=_("license key"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    os_version = models.CharField(_("operating system"), max_length=100, blank=True)
    service_pack = models.CharField(_("service packs"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    priority = models.ForeignKey(
        "regulations.Priority",
        verbose_name=_("priority"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=24, choices=TicketState.choices, default=TicketState.REGISTERED
    )
    close_reason = models.CharField(
        _("close reason"), max_length=20, choices=CloseReason.choices, blank=True
    )
    owner = models.ForeignKey(
        "accounts.Agent",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    language = models.CharField(_("language"), max_length=5, default="ru")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    registered_at = models.DateTimeField(_("registered"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # --- SLA deadlines, written only by supportdesk.sla (hooks and sweep); aware UTC ---
    reaction_due_at = models.DateTimeField(_("reaction due"), null=True, blank=True)
    reaction_met_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_met_at = models.DateTimeField(_("solution proposed"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("nearest SLA deadline"), null=True, blank=True)
    sla_next_check_at = models.DateTimeField(_("next SLA check"), null=True, blank=True)
    # --- end of SLA deadlines ---
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="split_tickets",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    work_method = models.ForeignKey(
        "regulations.WorkMethod",
        verbose_name=_("agreed work method"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "-registered_at", "-id"], name="ticket_org_recent"
            ),
            models.Index(fields=["contact", "-registered_at", "-id"], name="ticket_contact_recent"),
            models.Index(fields=["team", "state"], name="ticket_team_state"),
            # SLA: the sweep reads only due rows; the queue sorts open tickets by nearest deadline.
            models.Index(
                fields=["sla_next_check_at"],
                condition=Q(sla_next_check_at__isnull=False),
                name="ticket_sla_next_check",
            ),
            models.Index(
                fields=["team", "sla_due_at", "id"],
                condition=Q(closed_at__isnull=True),
                name="ticket_team_sla_queue",
            ),
            # The queue's counters per team: unassigned and waiting open tickets.
            models.Index(
                fields=["team", "id"],
                condition=Q(closed_at__isnull=True, owner__isnull=True),
                name="ticket_team_unassigned",
            ),
            models.Index(
                fields=["team", "id"],
                condition=Q(closed_at__isnull=True, state=TicketState.WAITING_FOR_CUSTOMER),
                name="ticket_team_waiting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=TicketState.CLOSED, closed_at__isnull=False)
                | (~Q(state=TicketState.CLOSED) & Q(closed_at__isnull=True)),
                name="ticket_closed_at_iff_closed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketEvent(models.Model):
    """One entry of a ticket's append-only timeline: who, when, what, why."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        PUBLIC_REPLY = "public_reply", _("Reply")
        CUSTOMER_REPLY = "customer_reply", _("Customer reply")
        INTERNAL_NOTE = "internal_note", _("Internal note")
        STATE_CHANGED = "state_changed", _("State changed")
        ASSIGNED = "assigned", _("Assigned")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breached")
        DEADLINES_CHANGED = "deadlines_changed", _("Deadlines recalculated")
        CONFIRMATION_REMINDER = "confirmation_reminder", _("Confirmation reminder sent")
        DIAGNOSTICS_REQUESTED = "diagnostics_requested", _("Diagnostics requested")
        SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
        SOLUTION_REFUSED = "solution_refused", _("Solution refused")
        ESCALATION_REQUESTED = "escalation_requested", _("Escalation requested")
        PRIORITY_PROPOSED = "priority_proposed", _("Priority change proposed")
        PRIORITY_DECLINED = "priority_declined", _("Priority change declined")
        PRIORITY_CHANGED = "priority_changed", _("Priority changed by agreement")
        PRIORITY_OVERRIDDEN = "priority_overridden", _("Priority overridden by a manager")
        WORK_METHOD_AGREED = "work_method_agreed", _("Work method agreed")
        SPLIT = "split", _("Split into a new request")
        MERGED = "merged", _("Merged into another request")
        MERGED_IN = "merged_in", _("Another request merged in")
        EMAIL_NOT_ACCEPTED = "email_not_accepted", _("Received by e-mail, not accepted")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=30, choices=Kind.choices)
    is_internal = models.BooleanField(_("internal"), default=False)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("The timeline is append-only: events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The timeline is append-only: events are never deleted.")


def attachment_path(instance: Attachment, filename: str) -> str:
    # Generated names only: the customer's file name is kept in a column, never on disk.
    return f"{instance.ticket_id}/{instance.sha256[:2]}/{instance.storage_token}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        TicketEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    storage_token = models.CharField(max_length=64, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class TicketNumberSequence(models.Model):
    """The last number given per period; incremented with an UPDATE inside the registration."""

    period = models.CharField(max_length=20, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
        verbose_name_plural = _("ticket number sequences")

    def __str__(self) -> str:
        return f"{self.period}: {self.last_value}"


class RefusedRegistration(models.Model):
    """A registration attempt that was refused, kept for the account manager."""

    Reason = RefusalReason

    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    message = models.TextField(_("message shown"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_sales_lead = models.BooleanField(_("sales lead"), default=False)
    submitted = models.JSONField(_("submitted data"), default=dict)

    class Meta:
        verbose_name = _("refused registration")
        verbose_name_plural = _("refused registrations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_reason_display()}"


class DiagnosticsRequest(models.Model):
    """The engineer's request for named diagnostics; the customer's reply answers it."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="diagnostics_requests"
    )
    event = models.OneToOneField(
        TicketEvent, on_delete=models.PROTECT, related_name="diagnostics_request"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer_event = models.ForeignKey(
        TicketEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("diagnostics request")
        verbose_name_plural = _("diagnostics requests")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.created_at:%Y-%m-%d %H:%M}"


class DiagnosticsRequestItem(models.Model):
    class Kind(models.TextChoices):
        LOGS = "logs", _("Logs")
        CONFIGURATION = "configuration", _("Configuration files")
        TRACES = "traces", _("Traces")
        NETWORK_DIAGRAM = "network_diagram", _("Network diagram")
        OTHER = "other", _("Other")

    request = models.ForeignKey(DiagnosticsRequest, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("details"), max_length=500, blank=True)
    done = models.BooleanField(_("provided"), default=False)
    done_at = models.DateTimeField(_("provided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("requested diagnostics item")
        verbose_name_plural = _("requested diagnostics items")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="other") | ~Q(text=""), name="diagnostics_other_has_text"
            )
        ]

    def __str__(self) -> str:
        return self.text or self.get_kind_display()


class PriorityProposal(models.Model):
    """A priority change proposed by one side; only the other side's acceptance changes it."""

    class Side(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        SUPPORT = "support", _("Support")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Superseded by a manager's override")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="priority_proposals")
    side = models.CharField(_("proposed by side"), max_length=10, choices=Side.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    from_priority = models.ForeignKey(
        "regulations.Priority", on_delete=models.PROTECT, related_name="+"
    )
    to_priority = models.ForeignKey(
        "regulations.Priority", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("proposed"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)

    class Meta:
        verbose_name = _("priority change proposal")
        verbose_name_plural = _("priority change proposals")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state="pending"),
                name="one_pending_priority_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_priority_id} → {self.to_priority_id}"


class Escalation(models.Model):
    """A customer's escalation request: why, and the escalation level it raised the ticket to."""

    class Reason(models.TextChoices):
        SIGNIFICANT_DELAY = "significant_delay", _("Significant delay")
        INCORRECT_ANSWERS = "incorrect_answers", _("Incorrect answers")
        OTHER = "other", _("Other")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text = models.TextField(_("comment"), blank=True)
    level = models.PositiveSmallIntegerField(_("escalation level"))
    priority_proposal = models.OneToOneField(
        PriorityProposal, on_delete=models.PROTECT, null=True, blank=True, related_name="escalation"
    )
    created_at = models.DateTimeField(_("requested"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.level}"
