import datetime

import time_machine

from supportdesk.demo.tickets import load_demo_tickets
from supportdesk.tickets.models import Ticket, TicketEvent

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)  # Tuesday 15:00 Moscow


def test_demo_tickets_show_running_paused_and_breached_timers(cast):
    with time_machine.travel(NOW, tick=False):
        tickets = load_demo_tickets(cast, now=NOW)
        assert load_demo_tickets(cast, now=NOW) == []  # once only

    counting, waiting, breached, urgent, proposed = (Ticket.objects.get(pk=t.pk) for t in tickets)
    assert counting.reaction_due_at is not None and counting.reaction_due_at > NOW
    assert (waiting.state, waiting.resolution_due_at) == ("waiting_for_customer", None)
    assert breached.events.filter(kind=TicketEvent.Kind.SLA_BREACH).count() == 1
    assert urgent.reaction_due_at == NOW + datetime.timedelta(minutes=20)
    assert proposed.state == "solution_proposed"
