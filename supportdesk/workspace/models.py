"""What the workspace keeps of its own: canned replies agents insert into their answers."""

from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Language, User
from supportdesk.tickets.models import Ticket

# The placeholders a canned reply may use, and what each becomes for a ticket.
PLACEHOLDERS = ("{customer_name}", "{ticket_number}", "{product}", "{agent_name}")


class CannedReply(models.Model):
    """A prepared answer for a team and a regulation (either empty: for every one)."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {customer_name}, {ticket_number}, {product}, {agent_name}; they are "
            "filled in when an agent inserts the text."
        ),
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: offered to every team."),
    )
    regulation = models.ForeignKey(
        "regulations.Regulation",
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: offered for every regulation."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["language", "order", "title"]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def for_ticket(ticket: Ticket) -> QuerySet[CannedReply]:
        """The active replies offered on ``ticket``: of its team (or any), its regulation (or
        any)."""
        return CannedReply.objects.filter(
            Q(team__isnull=True) | Q(team_id=ticket.team_id),
            Q(regulation__isnull=True) | Q(regulation_id=ticket.regulation_id),
            is_active=True,
        )

    def render(self, ticket: Ticket, agent: User) -> str:
        """The text with its placeholders filled in for ``ticket`` (plain replacement: braces
        that are not a placeholder stay as they are)."""
        customer = ticket.contact.user
        values = {
            "{customer_name}": customer.get_full_name() or customer.email,
            "{ticket_number}": ticket.number,
            "{product}": str(ticket.product),
            "{agent_name}": agent.get_full_name() or agent.email,
        }
        text = self.body
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text
