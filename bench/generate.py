"""Bulk data for benchmarks: organizations, contacts, contracts, tickets and their timelines.

    python bench/generate.py --tickets 100000 [--orgs 1000] [--seed 1]

or, from code, ``generate(tickets=..., orgs=..., seed=...)``. Deterministic for a seed and a
starting database. Rows go in with ``bulk_create`` (no per-row ``save()``, so no signals), in
batches, one transaction per batch. Generated ticket numbers are ``GEN-0000001`` and up: they can
never collide with real registrations (``settings.TICKET_NUMBER_FORMAT``, ``SD-2025-000001``), so
the number sequence is left alone. Generated people log in with the password ``demo``.

The demo organization alpha (``load_demo()``) is the big organization with about 10 % of all
tickets, so its organization administrator's ticket list has a realistic size.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import multiprocessing
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import format_table, setup_django

PASSWORD = "demo"
PRESET_CODES = ("000", "002")
BIG_ORG_SHARE = 0.10
BIG_ORG_CONTACTS = 40
AGENTS = 40
BATCH = 5000
DAYS_BACK = 730

FIRST_NAMES = ["Ivan", "Olga", "Petr", "Anna", "Sergey", "Maria", "Alexey", "Elena", "Dmitry"]
LAST_NAMES = ["Ivanov", "Petrova", "Sidorov", "Smirnova", "Kuznetsov", "Popova", "Volkov"]
COUNTRIES = ["RU", "RU", "RU", "KZ", "BY", "AM", "DE", "AE"]
SUBJECTS = [
    "Agent does not start after update",
    "Policy is not applied to the group",
    "High CPU load on the management server",
    "Cannot activate the license",
    "VPN tunnel drops every few hours",
    "Scan task hangs at 99 %",
    "Database of the console grows too fast",
    "Updates are not downloaded from the mirror",
    "Blue screen after installing the driver",
    "Clarify the settings of the firewall rule",
]
OS_VERSIONS = ["Windows Server 2019", "Windows 10 22H2", "Astra Linux 1.7", "RHEL 8.9", "Ubuntu 22"]
CHANNEL_WEIGHTS = {"portal": 55, "email": 30, "phone": 10, "api": 5}
CLOSE_REASONS = {"confirmed": 60, "no_response": 25, "duplicate": 8, "withdrawn": 7}
PRIORITY_WEIGHTS = [5, 20, 45, 30, 10, 10]  # by rank, most urgent first


@dataclass
class GenerationResult:
    counts: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    big_org_id: int | None = None

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def table(self) -> str:
        rows = [(name, f"{count:,}") for name, count in self.counts.items()]
        rows.append(("total rows", f"{self.rows:,}"))
        rows.append(("elapsed", f"{self.elapsed:.1f} s"))
        rows.append(("rows/s", f"{self.rows / self.elapsed:,.0f}" if self.elapsed else "-"))
        tickets = self.counts.get("tickets", 0)
        rows.append(("tickets/s", f"{tickets / self.elapsed:,.0f}" if self.elapsed else "-"))
        return format_table(["generated", "value"], rows)


@dataclass
class _RegulationInfo:
    regulation_id: int
    level_ids: list[int]
    priority_ids: list[int]
    priority_codes: dict[int, str]
    priority_weights: list[int]
    product_ids: list[int]
    team_id: int | None


@dataclass
class _ContractInfo:
    contract_id: int
    regulation: _RegulationInfo
    level_id: int
    valid_from: datetime.date
    valid_to: datetime.date
    product_ids: list[int]
    key_by_product: dict[int, int]


@dataclass
class _OrgInfo:
    organization_id: int
    contacts: list[tuple[int, int]]  # (contact id, user id)
    contracts: list[_ContractInfo]


def generate(
    *,
    tickets: int = 100_000,
    orgs: int = 1000,
    seed: int = 1,
    now: datetime.datetime | None = None,
    big_org_share: float = BIG_ORG_SHARE,
    batch_size: int = BATCH,
    progress: bool = True,
    workers: int | None = None,
) -> GenerationResult:
    """Generate ``tickets`` tickets over ``orgs`` new organizations plus the big demo org."""
    from django.db import connection
    from django.utils import timezone

    now = now or timezone.now()
    rng = random.Random(seed)
    result = GenerationResult()
    started = time.perf_counter()

    if workers is None:
        # Forked workers need committed rows to refer to: one process inside a transaction
        # (tests) and on SQLite, which has a single writer anyway.
        parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
        workers = 2 if parallel else 1
    _fast_commits(connection)

    regulations = _ensure_regulations()
    big_org_id = _ensure_big_org()
    result.big_org_id = big_org_id
    agents = _create_agents(rng, regulations, result)
    organizations = _create_organizations(rng, orgs, regulations, big_org_id, now, result)
    _create_tickets(
        rng,
        tickets,
        organizations,
        big_org_id,
        big_org_share,
        agents,
        now,
        batch_size,
        progress,
        workers,
        result,
    )

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result.elapsed = time.perf_counter() - started
    return result


def _ensure_regulations() -> list[_RegulationInfo]:
    from supportdesk.catalog.models import Product
    from supportdesk.regulations.models import LanguageRoute, Regulation

    missing = [code for code in PRESET_CODES if not Regulation.objects.filter(code=code).exists()]
    if missing:
        from supportdesk.regulations.presets import load_preset

        for code in missing:
            load_preset(code)

    infos = []
    for regulation in Regulation.objects.order_by("code"):
        priorities = list(regulation.priorities.order_by("rank"))
        products = list(
            Product.objects.filter(
                line__in=regulation.product_lines.all(), line__is_consumer=False
            ).values_list("id", flat=True)
        )
        levels = list(regulation.levels.values_list("id", flat=True))
        if not (priorities and products and levels):
            continue
        route = LanguageRoute.objects.filter(
            regulation=regulation, language=regulation.language
        ).first()
        infos.append(
            _RegulationInfo(
                regulation_id=regulation.pk,
                level_ids=levels,
                priority_ids=[p.pk for p in priorities],
                priority_codes={p.pk: p.code for p in priorities},
                priority_weights=[
                    PRIORITY_WEIGHTS[min(i, len(PRIORITY_WEIGHTS) - 1)]
                    for i in range(len(priorities))
                ],
                product_ids=sorted(products),
                team_id=route.team_id if route else None,
            )
        )
    if not infos:
        raise RuntimeError("No regulation with levels, priorities and products: load presets first")
    return infos


def _ensure_big_org() -> int | None:
    """The demo organization alpha (the demo is idempotent), else None (one is generated)."""
    try:
        from supportdesk.demo.cast import load_demo
    except ImportError:
        return None
    return load_demo().alpha.pk


@functools.cache
def _password_hash() -> str:
    """Hashed once per process: a real hash costs half a second, and every user shares it."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def _create_users(specs: list[tuple[str, str, str, str]]) -> list[int]:
    """Users from (email, first, last, language) with one shared pre-computed password hash."""
    from allauth.account.models import EmailAddress

    from supportdesk.accounts.models import User

    password = _password_hash()
    users = User.objects.bulk_create(
        [
            User(
                email=email, first_name=first, last_name=last, language=language, password=password
            )
            for email, first, last, language in specs
        ],
        batch_size=BATCH,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=BATCH,
    )
    return [u.pk for u in users]


def _create_agents(
    rng: random.Random, regulations: list[_RegulationInfo], result: GenerationResult
) -> list[tuple[int, int]]:
    """Engineers of the routed teams: (agent id, user id)."""
    from supportdesk.accounts.models import Agent, User

    offset = User.objects.filter(email__endswith="@vendor.gen.example").count()
    user_ids = _create_users(
        [
            (
                f"agent{offset + i:05d}@vendor.gen.example",
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                "ru",
            )
            for i in range(1, AGENTS + 1)
        ]
    )
    agents = Agent.objects.bulk_create(
        [Agent(user_id=user_id, role=Agent.Role.ENGINEER) for user_id in user_ids]
    )
    team_ids = sorted({r.team_id for r in regulations if r.team_id})
    Agent.teams.through.objects.bulk_create(
        [Agent.teams.through(agent_id=a.pk, team_id=t) for a in agents for t in team_ids]
    )
    result.counts["agents"] = len(agents)
    return [(a.pk, a.user_id) for a in agents]


def _create_organizations(
    rng: random.Random,
    count: int,
    regulations: list[_RegulationInfo],
    big_org_id: int | None,
    now: datetime.datetime,
    result: GenerationResult,
) -> dict[int, _OrgInfo]:
    """Organizations with contacts (the first one is the org admin), contracts and keys."""
    from supportdesk.accounts.models import Contact, Organization
    from supportdesk.contracts.models import Contract, LicenseKey

    org_offset = Organization.objects.filter(name__startswith="Generated org ").count()
    new_orgs = Organization.objects.bulk_create(
        [
            Organization(name=f"Generated org {org_offset + i:06d}", country=rng.choice(COUNTRIES))
            for i in range(1, count + 1)
        ],
        batch_size=BATCH,
    )
    org_ids = [o.pk for o in new_orgs]
    if big_org_id is None:
        big = Organization.objects.create(name=f"Generated big org {org_offset + 1:06d}")
        big_org_id = big.pk
        result.big_org_id = big_org_id
        result.counts["organizations"] = len(new_orgs) + 1
    else:
        result.counts["organizations"] = len(new_orgs)

    # Contacts.
    contact_offset = Contact.objects.filter(support_contact_id__startswith="GEN-SC").count()
    contact_orgs: list[int] = []
    for org_id in [*org_ids, big_org_id]:
        contact_orgs.extend(
            [org_id] * (BIG_ORG_CONTACTS if org_id == big_org_id else rng.randint(1, 8))
        )
    numbers = range(contact_offset + 1, contact_offset + 1 + len(contact_orgs))
    # Addresses name the organization by its generated number, not by its database id.
    org_labels = {org_id: str(org_offset + i) for i, org_id in enumerate(org_ids, start=1)}
    org_labels[big_org_id] = "big"
    user_ids = _create_users(
        [
            (
                f"contact{n:07d}@org{org_labels[org_id]}.gen.example",
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                "en" if rng.random() < 0.2 else "ru",
            )
            for n, org_id in zip(numbers, contact_orgs, strict=True)
        ]
    )
    seen: set[int] = set()
    contact_rows = []
    for n, org_id, user_id in zip(numbers, contact_orgs, user_ids, strict=True):
        contact_rows.append(
            Contact(
                user_id=user_id,
                organization_id=org_id,
                support_contact_id=f"GEN-SC{n:07d}",
                is_org_admin=org_id not in seen and org_id != big_org_id,
            )
        )
        seen.add(org_id)
    contacts = Contact.objects.bulk_create(contact_rows, batch_size=BATCH)
    result.counts["contacts"] = len(contacts)

    orgs: dict[int, _OrgInfo] = {
        org_id: _OrgInfo(org_id, [], []) for org_id in [*org_ids, big_org_id]
    }
    for contact in contacts:
        orgs[contact.organization_id].contacts.append((contact.pk, contact.user_id))
    # The demo's own contacts and contracts of the big org take part too.
    for contact_id, user_id in (
        Contact.objects.filter(organization_id=big_org_id)
        .exclude(support_contact_id__startswith="GEN-SC")
        .values_list("id", "user_id")
    ):
        orgs[big_org_id].contacts.append((contact_id, user_id))

    # Contracts: the first one of each organization is active, the others mostly active.
    today = now.date()
    contract_offset = Contract.objects.filter(support_id__startswith="GEN-S").count()
    contract_specs = []
    for org_id in [*org_ids, big_org_id]:
        for i in range(rng.randint(1, 3) if org_id != big_org_id else 3):
            regulation = rng.choice(regulations)
            if i == 0 or rng.random() < 0.7:
                valid_from = today - datetime.timedelta(days=rng.randint(400, 1000))
                valid_to = today + datetime.timedelta(days=rng.randint(30, 700))
            else:
                valid_from = today - datetime.timedelta(days=rng.randint(700, 1000))
                valid_to = today - datetime.timedelta(days=rng.randint(30, 300))
            products = rng.sample(
                regulation.product_ids, min(len(regulation.product_ids), rng.randint(1, 3))
            )
            contract_specs.append(
                (
                    org_id,
                    regulation,
                    rng.choice(regulation.level_ids),
                    valid_from,
                    valid_to,
                    sorted(products),
                )
            )
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                support_id=f"GEN-S{contract_offset + i:07d}",
                organization_id=org_id,
                regulation_id=regulation.regulation_id,
                level_id=level_id,
                valid_from=valid_from,
                valid_to=valid_to,
            )
            for i, (org_id, regulation, level_id, valid_from, valid_to, _) in enumerate(
                contract_specs, start=1
            )
        ],
        batch_size=BATCH,
    )
    Contract.products.through.objects.bulk_create(
        [
            Contract.products.through(contract_id=contract.pk, product_id=product_id)
            for contract, spec in zip(contracts, contract_specs, strict=True)
            for product_id in spec[5]
        ],
        batch_size=BATCH,
    )
    key_offset = LicenseKey.objects.filter(key__startswith="GENK-").count()
    key_rows = []
    for contract, spec in zip(contracts, contract_specs, strict=True):
        for product_id in spec[5]:
            key_rows.append(
                LicenseKey(
                    key=f"GENK-{key_offset + len(key_rows) + 1:08d}",
                    contract_id=contract.pk,
                    product_id=product_id,
                )
            )
    keys = LicenseKey.objects.bulk_create(key_rows, batch_size=BATCH)
    key_map: dict[int, dict[int, int]] = defaultdict(dict)
    for key in keys:
        key_map[key.contract_id][key.product_id] = key.pk
    by_regulation = {r.regulation_id: r for r in regulations}
    for contract, spec in zip(contracts, contract_specs, strict=True):
        orgs[spec[0]].contracts.append(
            _ContractInfo(
                contract.pk, spec[1], spec[2], spec[3], spec[4], spec[5], key_map[contract.pk]
            )
        )
    # The demo contracts of the big org that cover a usable product.
    demo_contracts = (
        Contract.objects.filter(organization_id=big_org_id, regulation_id__in=by_regulation)
        .exclude(support_id__startswith="GEN-S")
        .prefetch_related("products", "license_keys")
    )
    for contract in demo_contracts:
        regulation = by_regulation[contract.regulation_id]
        product_ids = sorted(
            p.pk for p in contract.products.all() if p.pk in regulation.product_ids
        )
        if product_ids:
            orgs[big_org_id].contracts.append(
                _ContractInfo(
                    contract.pk,
                    regulation,
                    contract.level_id,
                    contract.valid_from,
                    contract.valid_to,
                    product_ids,
                    {k.product_id: k.pk for k in contract.license_keys.all()},
                )
            )
    result.counts["contracts"] = len(contracts)
    result.counts["license keys"] = len(keys)
    return orgs


def _pick_state(rng: random.Random, age_days: float) -> str:
    if age_days < 2:
        weights = (50, 30, 10, 5, 5)
    elif age_days < 30:
        weights = (5, 30, 20, 15, 30)
    else:
        weights = (0, 2, 3, 2, 93)
    return rng.choices(
        ("registered", "in_progress", "waiting_for_customer", "solution_proposed", "closed"),
        weights,
    )[0]


@dataclass
class _TicketPlan:
    """What every batch needs; forked workers inherit it (see ``_insert_batch``)."""

    seed: int
    count: int
    batch_size: int
    number_offset: int
    org_sequence: list[int]
    orgs: dict[int, _OrgInfo]
    agents: list[tuple[int, int]]
    now: datetime.datetime


_PLAN: _TicketPlan | None = None


def _create_tickets(
    rng: random.Random,
    count: int,
    orgs: dict[int, _OrgInfo],
    big_org_id: int,
    big_org_share: float,
    agents: list[tuple[int, int]],
    now: datetime.datetime,
    batch_size: int,
    progress: bool,
    workers: int,
    result: GenerationResult,
) -> None:
    """Tickets in batches, each batch with its own random stream, so the data is the same
    whichever process inserts a batch; on PostgreSQL two processes overlap Python and SQL."""
    global _PLAN
    from django.db import connections
    from tqdm import tqdm

    from supportdesk.tickets.models import Ticket

    others = [org_id for org_id in orgs if org_id != big_org_id and orgs[org_id].contracts]
    weights = [rng.uniform(0.2, 2.0) for _ in others]
    big_count = round(count * big_org_share) if others else count
    org_sequence = [big_org_id] * big_count + rng.choices(others, weights, k=count - big_count)
    rng.shuffle(org_sequence)
    _PLAN = _TicketPlan(
        seed=rng.randrange(2**32),
        count=count,
        batch_size=batch_size,
        number_offset=Ticket.objects.filter(number__startswith="GEN-").count(),
        org_sequence=org_sequence,
        orgs=orgs,
        agents=agents,
        now=now,
    )
    result.counts["tickets"] = 0
    result.counts["events"] = 0
    batches = range((count + batch_size - 1) // batch_size)
    bar = tqdm(total=count, unit="tickets", disable=not progress, file=sys.stderr)
    try:
        if workers > 1 and len(batches) > 1:
            connections.close_all()  # each forked worker opens its own connection
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_worker_init) as pool:
                done = pool.imap_unordered(_insert_batch, batches)
                for tickets, events in done:
                    result.counts["tickets"] += tickets
                    result.counts["events"] += events
                    bar.update(tickets)
        else:
            for batch in batches:
                tickets, events = _insert_batch(batch)
                result.counts["tickets"] += tickets
                result.counts["events"] += events
                bar.update(tickets)
    finally:
        bar.close()
        _PLAN = None


def _worker_init() -> None:
    from django.db import connection

    _fast_commits(connection)


def _fast_commits(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A generator may lose its last batch on a crash; it need not wait for each fsync.
            cursor.execute("SET synchronous_commit TO OFF")


def _insert_batch(batch: int) -> tuple[int, int]:
    """Build and insert one batch of tickets with their timelines, in one transaction."""
    from django.db import transaction

    from supportdesk.tickets.models import Ticket, TicketEvent

    spec = _PLAN
    assert spec is not None
    rng = random.Random(f"{spec.seed}-{batch}")
    now, orgs, agents, batch_size = spec.now, spec.orgs, spec.agents, spec.batch_size
    offset = spec.number_offset
    first, last = batch * batch_size, min((batch + 1) * batch_size, spec.count)
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    reasons, reason_weights = list(CLOSE_REASONS), list(CLOSE_REASONS.values())
    window_start = now - datetime.timedelta(days=DAYS_BACK)
    ticket_rows: list[Ticket] = []
    plans: list[list[tuple]] = []
    for i in range(first, last):
        org = orgs[spec.org_sequence[i]]
        contract = rng.choice(org.contracts)
        contact_id, contact_user_id = rng.choice(org.contacts)
        regulation = contract.regulation
        low = max(window_start, _aware(contract.valid_from, now))
        high = min(now, _aware(contract.valid_to, now) + datetime.timedelta(days=1))
        if high <= low:
            low, high = window_start, now
        registered_at = low + (high - low) * rng.random()
        age_days = (now - registered_at).total_seconds() / 86400
        state = _pick_state(rng, age_days)
        product_id = rng.choice(contract.product_ids)
        key_id = contract.key_by_product.get(product_id) if rng.random() < 0.6 else None
        priority_id = rng.choices(regulation.priority_ids, regulation.priority_weights)[0]
        channel = rng.choices(channels, channel_weights)[0]
        agent_id, agent_user_id = rng.choice(agents)

        # Timeline: registered, then the work, each at a later moment within the span.
        span = min((now - registered_at).total_seconds(), rng.uniform(3600, 20 * 86400))
        plan: list[tuple] = [
            (
                "registered",
                contact_user_id,
                False,
                "",
                {"channel": channel, "priority": regulation.priority_codes[priority_id]},
            )
        ]
        if state != "registered":
            plan.append(
                (
                    "state_changed",
                    agent_user_id,
                    False,
                    "",
                    {"from": "registered", "to": "in_progress"},
                )
            )
            plan.append(("public_reply", agent_user_id, False, "Please send the logs.", {}))
            if rng.random() < 0.4:
                plan.append(("internal_note", agent_user_id, True, "Looks like a known issue.", {}))
            if rng.random() < 0.5:
                plan.append(("customer_reply", contact_user_id, False, "Logs attached.", {}))
        close_reason = ""
        if state in ("waiting_for_customer", "solution_proposed"):
            plan.append(
                (
                    "state_changed",
                    agent_user_id,
                    False,
                    "",
                    {"from": "in_progress", "to": state},
                )
            )
        elif state == "closed":
            close_reason = rng.choices(reasons, reason_weights)[0]
            plan.append(
                (
                    "state_changed",
                    agent_user_id,
                    False,
                    "",
                    {"from": "in_progress", "to": "closed", "reason": close_reason},
                )
            )
        offsets = sorted(rng.random() * span for _ in range(len(plan) - 1))
        times = [registered_at] + [registered_at + datetime.timedelta(seconds=o) for o in offsets]
        plans.append([(*step, at) for step, at in zip(plan, times, strict=True)])

        ticket_rows.append(
            Ticket(
                number=f"GEN-{offset + i + 1:07d}",
                organization_id=org.organization_id,
                contact_id=contact_id,
                contract_id=contract.contract_id,
                regulation_id=regulation.regulation_id,
                level_id=contract.level_id,
                product_id=product_id,
                version=f"{rng.randint(10, 12)}.{rng.randint(0, 9)}",
                license_key_id=key_id,
                os_version=rng.choice(OS_VERSIONS),
                channel=channel,
                priority_id=priority_id,
                state=state,
                close_reason=close_reason,
                owner_id=agent_id if state != "registered" else None,
                team_id=regulation.team_id,
                language="ru",
                subject=rng.choice(SUBJECTS),
                description="Generated ticket. Steps to reproduce: see the attached log.",
                registered_at=registered_at,
                registered_by_id=contact_user_id,
                closed_at=times[-1] if state == "closed" else None,
            )
        )
    with transaction.atomic():
        created = Ticket.objects.bulk_create(ticket_rows)
        events = [
            TicketEvent(
                ticket_id=ticket.pk,
                created_at=at,
                actor_id=actor_id,
                kind=kind,
                is_internal=internal,
                body=body,
                data=data,
            )
            for ticket, plan in zip(created, plans, strict=True)
            for kind, actor_id, internal, body, data, at in plan
        ]
        TicketEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(created), len(events)


def _aware(day: datetime.date, now: datetime.datetime) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=now.tzinfo)


def main(argv: list[str] | None = None) -> GenerationResult:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=BATCH)
    parser.add_argument("--workers", type=int, default=None, help="default: 2 on PostgreSQL")
    args = parser.parse_args(argv)
    setup_django()
    from bench.common import database_description

    print(f"database: {database_description()}")
    result = generate(
        tickets=args.tickets,
        orgs=args.orgs,
        seed=args.seed,
        batch_size=args.batch_size,
        workers=args.workers,
    )
    print(result.table())
    return result


if __name__ == "__main__":
    main()
