"""What the SLA engine remembers beside the deadline columns on the ticket.

``SlaFiring`` makes every warning, breach, reminder and closure happen once: the sweep inserts the
row in the same transaction as the timeline event and the e-mail, and the unique constraint turns
a second attempt (two sweepers, a redelivered task) into a rolled-back savepoint.
``SlaBreach`` keeps breaches for reports.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.regulations.models import Regulation


class Timer(models.TextChoices):
    REACTION = "reaction", _("Reaction")
    RESOLUTION = "resolution", _("Resolution")
    CONFIRMATION = "confirmation", _("Confirmation")
    SILENCE = "silence", _("Customer silence")


class SlaFiring(models.Model):
    """One threshold of one timer that has fired (or was settled) on a ticket."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")
        REMINDER = "reminder", _("Reminder")
        CLOSURE = "closure", _("Closure")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_firings"
    )
    timer = models.CharField(_("timer"), max_length=20, choices=Timer.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # What identifies this threshold within (ticket, timer, kind). For the SLA targets it is the
    # target in minutes ("t480"), not the deadline: the deadline moves with every pause, the
    # target only with a priority change (which is a new commitment and may fire again). For the
    # regulation deadlines it is the instant the waiting started, so each wait fires once.
    key = models.CharField(_("key"), max_length=40)
    due_at = models.DateTimeField(_("due"))
    fired_at = models.DateTimeField(_("fired"))
    event = models.ForeignKey(
        "tickets.TicketEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("SLA firing")
        verbose_name_plural = _("SLA firings")
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "timer", "kind", "key"], name="sla_firing_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.timer} {self.kind} {self.key}"


class SlaBreach(models.Model):
    """A missed reaction or resolution target, kept for reports."""

    class Target(models.TextChoices):
        REACTION = "reaction", _("Reaction")
        RESOLUTION = "resolution", _("Resolution")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_breaches"
    )
    target = models.CharField(_("target"), max_length=20, choices=Target.choices)
    priority = models.ForeignKey(
        "regulations.Priority",
        verbose_name=_("priority"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_minutes = models.PositiveIntegerField(_("target, business minutes"))
    due_at = models.DateTimeField(_("due"))
    detected_at = models.DateTimeField(_("detected"))
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    minutes_late = models.PositiveIntegerField(
        _("business minutes late"),
        default=0,
        help_text=_("At detection; final once the target is met."),
    )

    class Meta:
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["detected_at"], name="sla_breach_detected")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "target_minutes"], name="sla_breach_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} due {self.due_at:%Y-%m-%d %H:%M}"


class RetimeJob(models.Model):
    """A regulation edit whose open tickets still need their deadlines recomputed.

    Written in the same transaction as the edit (the admin's save); ``sla.retime.run_retime_jobs``
    (a periodic task, run by Celery beat or ``supportdesk runworker``) claims it, recomputes every
    open ticket of its scope, and marks it finished. The scope is JSON: ``regulation``,
    ``calendar``, ``contract``, ``priority`` (ids) or ``cells`` ([level id, priority id] pairs),
    plus ``targets`` for matrix edits: the old and new minutes per cell, for the timeline.
    """

    class Cause(models.TextChoices):
        SLA_MATRIX = "sla_matrix", _("SLA matrix changed")
        CALENDAR = "calendar", _("Business calendar changed")
        PRIORITY = "priority", _("Priority changed")
        CONTRACT = "contract", _("Contract's support level changed")
        REGULATION = "regulation", _("Regulation changed")

    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    scope = models.JSONField(_("scope"), default=dict)
    description = models.CharField(_("what changed"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    tickets_seen = models.PositiveIntegerField(_("open tickets looked at"), default=0)
    tickets_retimed = models.PositiveIntegerField(_("tickets re-timed"), default=0)

    class Meta:
        verbose_name = _("deadline recalculation")
        verbose_name_plural = _("deadline recalculations")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["requested_at", "id"],
                condition=models.Q(finished_at__isnull=True),
                name="sla_retime_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} {self.requested_at:%Y-%m-%d %H:%M}"


class SlaMatrix(Regulation):
    """A regulation seen as its SLA matrix: the admin edits it as a grid (sla/admin.py)."""

    class Meta:
        proxy = True
        verbose_name = _("SLA matrix")
        verbose_name_plural = _("SLA matrices")
