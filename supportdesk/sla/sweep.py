"""The SLA sweep: act on every due warning, breach, reminder and closure, exactly once.

Cost follows due deadlines, not tickets: it reads ``Ticket.sla_next_check_at <= now`` through the
partial index ``ticket_sla_next_check`` in batches. Each batch is one transaction that

1. claims its tickets: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (a second sweeper, or
   a ticket service holding the row, makes it skip the row); on SQLite, whose IMMEDIATE
   transactions already serialize writers, a conditional ``UPDATE ... WHERE sla_next_check_at =
   <value read>`` claims each row, so a row another sweeper advanced meanwhile is skipped;
2. per ticket, in a savepoint: recomputes the clock from the timeline, and for each due check
   inserts its ``SlaFiring`` row (unique per ticket, timer, kind and key), writes the timeline
   event and the outbox e-mail, then stores the next ``sla_next_check_at``.

A sweeper killed mid-batch rolls the whole batch back (nothing was sent: e-mails are outbox rows
of the same transaction), and the next sweep finds the same rows due again: nothing is lost, and
the unique constraint makes a duplicate impossible even if two claims ever overlapped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import asdict, dataclass
from urllib.parse import quote

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Agent
from supportdesk.outbox.models import OutboxMessage
from supportdesk.outbox.services import defer_email, enqueue_deferred, enqueue_email
from supportdesk.sla import clock, hooks, timers
from supportdesk.sla.models import SlaBreach, SlaFiring
from supportdesk.tickets.actions import close_by_regulation, ticket_url
from supportdesk.tickets.models import CloseReason, Ticket, TicketEvent, TicketState

logger = logging.getLogger("supportdesk.sla")

BATCH_SIZE = 500
# A ticket whose processing failed is looked at again after this delay, not at every sweep.
RETRY_DELAY = dt.timedelta(minutes=5)


@dataclass
class SweepResult:
    tickets: int = 0
    fired: int = 0
    failed: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep_sla(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int | None = None
) -> SweepResult:
    """Act on every ticket whose ``sla_next_check_at`` has come. Safe to run concurrently."""
    now = now or timezone.now()
    result = SweepResult()
    # One indexed probe when nothing is due: no transaction, no lock. Ordered by the indexed
    # column, so PostgreSQL reads the index's first entry whatever its row estimate (a bare
    # EXISTS was planned as a sequential scan once many rows had been due).
    probe = Ticket.objects.filter(sla_next_check_at__lte=now).order_by("sla_next_check_at")
    if not probe.values_list("sla_next_check_at", flat=True)[:1]:
        return result
    recipients = _Recipients()
    while max_batches is None or result.batches < max_batches:
        with transaction.atomic():
            tickets = _claim_batch(now, batch_size)
            if not tickets:
                break
            result.batches += 1
            _process_batch(tickets, now, result, recipients)
        if len(tickets) < batch_size:
            break
    return result


def _claim_batch(now: dt.datetime, size: int) -> list[Ticket]:
    due = (
        Ticket.objects.filter(sla_next_check_at__lte=now)
        .select_related("organization", "priority", "regulation")
        .order_by("sla_next_check_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        # Lock the ticket rows only, not the joined organization, priority and regulation.
        return list(due.select_for_update(skip_locked=True, of=("self",))[:size])
    claimed = []
    for ticket in due[:size]:
        # Take the row only if nobody moved its check since we read it.
        if Ticket.objects.filter(pk=ticket.pk, sla_next_check_at=ticket.sla_next_check_at).update(
            sla_next_check_at=None
        ):
            claimed.append(ticket)
    return claimed


def _process_batch(
    tickets: list[Ticket], now: dt.datetime, result: SweepResult, recipients: _Recipients
) -> None:
    """Warnings and breaches of the whole batch in a few set-based statements (``_Alerts``);
    every other ticket (closures, reminders, a priority change to record, a breach to settle),
    and the batch's alerts again if writing them failed, one by one in a savepoint each."""
    ids = [t.pk for t in tickets]
    context = clock.load_context(tickets)
    steps = clock.load_steps(ids)
    fired = clock.load_fired(ids)
    alerts = _Alerts(recipients, now)

    def process(ticket: Ticket, batch: _Alerts | None) -> None:
        try:
            result.fired += _process_ticket(
                ticket,
                context=context,
                steps=steps.get(ticket.pk, []),
                fired=fired.get(ticket.pk, set()),
                recipients=recipients,
                now=now,
                alerts=batch,
            )
        except Exception:
            result.failed += 1
            logger.exception("SLA sweep failed on ticket %s; retrying later", ticket.pk)
            Ticket.objects.filter(pk=ticket.pk).update(sla_next_check_at=now + RETRY_DELAY)

    for ticket in tickets:
        result.tickets += 1
        process(ticket, alerts)
    if alerts.tickets:
        try:
            with transaction.atomic():
                alerts.write()
            result.fired += alerts.count
        except Exception:
            logger.exception("SLA sweep: writing a batch of alerts failed; one by one instead")
            for ticket in alerts.tickets:
                process(ticket, None)


def _process_ticket(
    ticket: Ticket,
    *,
    context: clock.Context,
    steps: list[timers.Step],
    fired: set[tuple[str, str, str]],
    recipients: _Recipients,
    now: dt.datetime,
    alerts: _Alerts | None = None,
) -> int:
    """Act on the ticket's due checks; returns the firings written.

    With ``alerts``, a ticket that needs nothing but warnings and breaches joins the batch's
    set-based write instead (counted when it is written: 0 here). Anything else runs here, in a
    savepoint of its own.
    """
    if alerts is not None and alerts.plan(ticket, context=context, steps=steps, fired=fired):
        return 0
    with transaction.atomic():
        steps = list(steps)
        fired = set(fired)
        ticket_clock = hooks.sync_ticket(
            ticket, context=context, steps=steps, fired=fired, now=now, write=False
        )
        due = [c for c in ticket_clock.pending_checks(fired, now) if c.due_at <= now]
        count = 0
        timeline_changed = False
        for check in due:
            if ticket.state == TicketState.CLOSED:
                break
            ticket, changed = _act(ticket, check, ticket_clock, recipients=recipients, now=now)
            fired.add((check.timer, check.kind, check.key))
            timeline_changed |= changed
            count += 1
        if timeline_changed:
            steps = clock.load_steps([ticket.pk]).get(ticket.pk, [])
            ticket_clock = clock.ticket_clock(ticket, context=context, steps=steps, now=now)
        next_check = hooks.next_check_at(ticket_clock, fired, now)
        if next_check is not None and next_check <= now:
            # Should not happen: every due check was acted on. Never spin on one ticket.
            logger.error("SLA check of ticket %s still due after the sweep", ticket.pk)
            next_check = now + RETRY_DELAY
        hooks.write_columns(ticket, ticket_clock, fired=fired, now=now, next_check=next_check)
        return count


def _act(
    ticket: Ticket,
    check: timers.Check,
    ticket_clock: timers.TicketClock,
    *,
    recipients: _Recipients,
    now: dt.datetime,
) -> tuple[Ticket, bool]:
    """Do what ``check`` says, once. Returns the (possibly reloaded) ticket and whether the
    timeline gained a step the clock reads. The ``SlaFiring`` row is written last, in the same
    savepoint: its unique constraint undoes everything if this threshold had already fired."""
    event: TicketEvent | None = None
    changed = False
    if check.timer in (timers.REACTION, timers.RESOLUTION):
        timer = getattr(ticket_clock, check.timer)
        alert = _sla_alert(ticket, check, timer, recipients=recipients, now=now)
        if alert.breach is not None:
            alert.breach.save()
        alert.event.save()
        enqueue_deferred(alert.emails)
        event = alert.event
    elif check.kind == timers.REMINDER:
        event = _confirmation_reminder(ticket, check, now=now)
        changed = True
    elif check.timer == timers.SILENCE:
        ticket = _close_for_silence(ticket, now=now)
        changed = True
    else:
        ticket = _close_as_confirmed(ticket, now=now)
        changed = True
    SlaFiring.objects.create(
        ticket=ticket,
        timer=check.timer,
        kind=check.kind,
        key=check.key,
        due_at=check.due_at,
        fired_at=now,
        event=event,
    )
    return ticket, changed


@dataclass
class _Alert:
    """What a warning or breach writes: the breach row, the internal event, the e-mails."""

    breach: SlaBreach | None
    event: TicketEvent
    emails: list[OutboxMessage]


def _sla_alert(
    ticket: Ticket,
    check: timers.Check,
    timer: timers.TimerState,
    *,
    recipients: _Recipients,
    now: dt.datetime,
) -> _Alert:
    """One internal timeline event and one e-mail to the owner (or the team) per threshold,
    unsaved: the caller writes them one by one or with the batch."""
    breach = check.kind == timers.BREACH
    return _Alert(
        breach=_new_breach(ticket, check, timer, now) if breach else None,
        event=TicketEvent(
            ticket=ticket,
            created_at=now,
            kind=TicketEvent.Kind.SLA_BREACH if breach else TicketEvent.Kind.SLA_WARNING,
            is_internal=True,
            data=_alert_data(check, timer),
        ),
        emails=_alert_emails(ticket, check, timer, recipients),
    )


def _alert_data(check: timers.Check, timer: timers.TimerState) -> dict:
    """The data of a warning's or breach's event (also the e-mail's figures)."""
    breach = check.kind == timers.BREACH
    # For a warning the deadline itself; None when the timer is paused.
    deadline = check.due_at if breach else timer.due_at
    return {
        "timer": check.timer,
        "at": check.due_at.astimezone(dt.UTC).isoformat(),
        "due_at": deadline.astimezone(dt.UTC).isoformat() if deadline else None,
        "target_minutes": timer.target_minutes,
        "consumed_minutes": round(timer.consumed_minutes),
        "percent": math.floor(timer.consumed_minutes * 100 / timer.target_minutes),
    }


def _new_breach(
    ticket: Ticket, check: timers.Check, timer: timers.TimerState, now: dt.datetime
) -> SlaBreach:
    return SlaBreach(
        ticket=ticket,
        target=check.timer,
        priority_id=ticket.priority_id,
        target_minutes=timer.target_minutes,
        due_at=check.due_at,
        detected_at=now,
        met_at=timer.met_at if timer.phase == "stopped" else None,
        minutes_late=hooks.minutes_late(timer),
    )


def _alert_emails(
    ticket: Ticket, check: timers.Check, timer: timers.TimerState, recipients: _Recipients
) -> list[OutboxMessage]:
    """One e-mail per language and time zone of the agents who hear of it; rendered by the
    relay (thousands may fire at once: the sweep does not render templates)."""
    breach = check.kind == timers.BREACH
    deadline = check.due_at if breach else timer.due_at
    return [
        defer_email(
            template="sla_breach" if breach else "sla_warning",
            recipients=emails,
            language=language,
            context={
                "timer": check.timer,
                "due_at": deadline,
                "tz": tz,
                "target_minutes": timer.target_minutes,
                "percent": math.floor(timer.consumed_minutes * 100 / timer.target_minutes),
                "ticket_url": recipients.links.url(ticket),
            },
            ticket=ticket,
        )
        for language, tz, emails in recipients.agents_for(ticket)
    ]


def _confirmation_reminder(ticket: Ticket, check: timers.Check, *, now: dt.datetime) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        created_at=now,
        kind=timers.CONFIRMATION_REMINDER,
        data={"proposed_at": check.key, "due_at": check.due_at.astimezone(dt.UTC).isoformat()},
    )
    user = ticket.contact.user
    enqueue_email(
        template="confirmation_reminder",
        recipients=[user.email],
        language=user.language,
        context={
            "ticket": ticket,
            "days": ticket.regulation.confirmation_working_days,
            "closes": ticket.regulation.confirmation_action == "close",
            "ticket_url": ticket_url(ticket),
        },
        ticket=ticket,
    )
    return event


def _close_for_silence(ticket: Ticket, *, now: dt.datetime) -> Ticket:
    """Unilateral closure through the lifecycle's own close action (actor: the system)."""
    regulation = ticket.regulation
    with translation.override(ticket.language):
        if regulation.silence_day_count == regulation.DayCount.WORKING:
            reason = _(
                "Closed by the regulation: no answer from the customer for more than "
                "%(days)s working days."
            ) % {"days": regulation.silence_days}
        else:
            reason = _(
                "Closed by the regulation: no answer from the customer for %(days)s days."
            ) % {"days": regulation.silence_days}
    return close_by_regulation(
        ticket=ticket, close_reason=CloseReason.NO_RESPONSE, reason=reason, now=now
    )


def _close_as_confirmed(ticket: Ticket, *, now: dt.datetime) -> Ticket:
    """Confirmation action "close": the proposed solution counts as accepted."""
    with translation.override(ticket.language):
        reason = _(
            "Closed by the regulation: the proposed solution was neither confirmed nor refused "
            "after a reminder."
        )
    return close_by_regulation(
        ticket=ticket, close_reason=CloseReason.CONFIRMED, reason=reason, now=now
    )


ALERT_TIMERS = frozenset({timers.REACTION, timers.RESOLUTION})


class _Alerts:
    """The warnings and breaches of one batch, planned in memory and written set-based: one
    INSERT each for breaches, events, e-mails and firings, one UPDATE for the tickets' columns.

    ``plan`` takes a ticket only when all it needs is alerts (open, no unrecorded priority
    change, no breach to settle); it changes nothing on the ticket until ``write`` succeeded.
    The firings' unique constraint still guards exactly-once: a duplicate fails the whole
    INSERT, and the batch's savepoint undoes all of it.
    """

    def __init__(self, recipients: _Recipients, now: dt.datetime) -> None:
        self.recipients = recipients
        self.now = now
        self.tickets: list[Ticket] = []
        self.count = 0
        self._breaches: list[SlaBreach] = []
        self._events: list[TicketEvent] = []
        self._emails: list[OutboxMessage] = []
        self._firings: list[tuple[SlaFiring, TicketEvent]] = []
        self._columns: list[tuple[Ticket, dict, dict]] = []

    def plan(
        self,
        ticket: Ticket,
        *,
        context: clock.Context,
        steps: list[timers.Step],
        fired: set[tuple[str, str, str]],
    ) -> bool:
        """Take the ticket's alerts into the batch; False when it needs the one-by-one path
        (which also meets, and records, any error planning met)."""
        try:
            return self._plan(ticket, context=context, steps=steps, fired=fired)
        except Exception:
            return False

    def _plan(
        self,
        ticket: Ticket,
        *,
        context: clock.Context,
        steps: list[timers.Step],
        fired: set[tuple[str, str, str]],
    ) -> bool:
        now = self.now
        if ticket.state == TicketState.CLOSED:
            return False
        ticket_clock = clock.ticket_clock(ticket, context=context, steps=steps, now=now)
        if ticket_clock.unrecorded_priority_from is not None:
            return False
        due = [c for c in ticket_clock.pending_checks(fired, now) if c.due_at <= now]
        if any(check.timer not in ALERT_TIMERS for check in due):
            return False
        fired = set(fired)
        for check in due:
            fired.add((check.timer, check.kind, check.key))
        next_check = hooks.next_check_at(ticket_clock, fired, now)
        if next_check is not None and next_check <= now:
            return False
        values: dict = {**ticket_clock.columns(), "sla_next_check_at": next_check}
        changed = {name: value for name, value in values.items() if getattr(ticket, name) != value}
        if any(name.endswith("_met_at") and value is not None for name, value in changed.items()):
            return False  # a breach to settle: the one-by-one path does it
        alerts = [
            (
                check,
                _sla_alert(
                    ticket,
                    check,
                    getattr(ticket_clock, check.timer),
                    recipients=self.recipients,
                    now=now,
                ),
            )
            for check in due
        ]
        for check, alert in alerts:
            if alert.breach is not None:
                self._breaches.append(alert.breach)
            self._events.append(alert.event)
            self._emails += alert.emails
            firing = SlaFiring(
                ticket=ticket,
                timer=check.timer,
                kind=check.kind,
                key=check.key,
                due_at=check.due_at,
                fired_at=now,
            )
            self._firings.append((firing, alert.event))
        self._columns.append((ticket, values, changed))
        self.tickets.append(ticket)
        self.count += len(due)
        return True

    def write(self) -> None:
        SlaBreach.objects.bulk_create(self._breaches)
        TicketEvent.objects.bulk_create(self._events)  # sets their ids (PostgreSQL, SQLite)
        enqueue_deferred(self._emails)
        for firing, event in self._firings:
            firing.event = event
        SlaFiring.objects.bulk_create([firing for firing, _event in self._firings])
        _store_columns([(ticket, values) for ticket, values, changed in self._columns if changed])
        for ticket, _values, changed in self._columns:
            for name, value in changed.items():
                setattr(ticket, name, value)


# The deadline columns (``TicketClock.columns`` and the next check), stored for many tickets in
# one statement. PostgreSQL: one UPDATE joined to arrays, constant text whatever the count.
COLUMNS = (
    "reaction_due_at",
    "reaction_met_at",
    "resolution_due_at",
    "resolution_met_at",
    "sla_due_at",
    "sla_next_check_at",
)
STORE_COLUMNS_SQL = """
UPDATE tickets_ticket AS t SET
    reaction_due_at = v.reaction_due_at,
    reaction_met_at = v.reaction_met_at,
    resolution_due_at = v.resolution_due_at,
    resolution_met_at = v.resolution_met_at,
    sla_due_at = v.sla_due_at,
    sla_next_check_at = v.sla_next_check_at
FROM jsonb_to_recordset(%s::jsonb) AS v(
    id bigint, reaction_due_at timestamptz, reaction_met_at timestamptz,
    resolution_due_at timestamptz, resolution_met_at timestamptz, sla_due_at timestamptz,
    sla_next_check_at timestamptz
)
WHERE t.id = v.id
"""


def _store_columns(rows: list[tuple[Ticket, dict]]) -> None:
    """Store each ticket's deadline columns (derived data: ``updated_at`` untouched)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        # One JSON document: psycopg dumps a long array of datetimes slowly, json.dumps fast.
        records = [
            {
                "id": ticket.pk,
                **{name: values[name].isoformat() if values[name] else None for name in COLUMNS},
            }
            for ticket, values in rows
        ]
        with connection.cursor() as cursor:
            cursor.execute(STORE_COLUMNS_SQL, [json.dumps(records)])
        return
    updates = []
    for ticket, values in rows:
        row = Ticket(pk=ticket.pk)
        for name in COLUMNS:
            setattr(row, name, values[name])
        updates.append(row)
    Ticket.objects.bulk_update(updates, list(COLUMNS))


class _AgentLinks:
    """The workspace address of a ticket, without a URL reversal per ticket."""

    MARKER = "0NUMBER0"

    def __init__(self) -> None:
        prefix, _marker, suffix = ticket_url(Ticket(number=self.MARKER), for_agent=True).partition(
            self.MARKER
        )
        self.prefix, self.suffix = prefix, suffix

    def url(self, ticket: Ticket) -> str:
        return f"{self.prefix}{quote(ticket.number)}{self.suffix}"


class _Recipients:
    """Who hears of a warning or breach: the owner, else the team's engineers and managers;
    grouped by language and time zone so each group gets one e-mail. Cached per batch."""

    ROLES = (Agent.Role.ENGINEER, Agent.Role.MANAGER)

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int | None], list[tuple[str, str, list[str]]]] = {}
        self.links = _AgentLinks()

    def agents_for(self, ticket: Ticket) -> list[tuple[str, str, list[str]]]:
        if ticket.owner_id is None and ticket.team_id is None:
            return []
        key: tuple[str, int | None] = (
            ("owner", ticket.owner_id) if ticket.owner_id is not None else ("team", ticket.team_id)
        )
        if key not in self._cache:
            if ticket.owner_id is not None:
                agents = Agent.objects.filter(pk=ticket.owner_id)
            else:
                agents = Agent.objects.filter(teams=ticket.team_id, role__in=self.ROLES).distinct()
            groups: dict[tuple[str, str], list[str]] = {}
            rows = agents.filter(user__is_active=True).values_list(
                "user__language", "user__timezone", "user__email"
            )
            for language, tz, email in rows.order_by("user__email"):
                groups.setdefault((language, tz), []).append(email)
            self._cache[key] = [(lang, tz, emails) for (lang, tz), emails in sorted(groups.items())]
        return self._cache[key]


def sweep_backlog(*, now: dt.datetime) -> dict:
    """Tickets whose next SLA check is due but not yet swept, and how late the oldest is.

    One query over the partial index ``ticket_sla_next_check``; normally empty, since the sweep
    runs every 30 s. A growing number means the sweep is not running or keeps failing.
    """
    row = Ticket.objects.filter(sla_next_check_at__lte=now).aggregate(
        due=Count("id"), oldest=Min("sla_next_check_at")
    )
    age = (now - row["oldest"]) if row["oldest"] else dt.timedelta(0)
    return {"due": row["due"], "oldest_seconds": int(age.total_seconds()), "late": age}
