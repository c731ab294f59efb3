"""The demo's fixed cast: both seed regulations, three customer organizations, their contacts and
contracts, and the vendor's agents. Idempotent; also the shared test fixture ``cast``.

Every demo login has the password ``demo`` and a verified primary e-mail address.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from supportdesk.accounts.models import (
    Agent,
    Contact,
    ContactPhone,
    Organization,
    Team,
    User,
    normalize_phone,
)
from supportdesk.catalog.models import Product
from supportdesk.contracts.models import Contract, LicenseKey
from supportdesk.regulations.models import Regulation
from supportdesk.regulations.presets import load_presets, sync_m2m, sync_rows

PASSWORD = "demo"


@dataclass(frozen=True)
class DemoCast:
    regulation_000: Regulation
    regulation_002: Regulation
    team_ru: Team
    team_en: Team
    team_usergate: Team
    alpha: Organization
    beta: Organization
    gamma: Organization
    customer_alpha: User
    orgadmin_alpha: User
    colleague_alpha: User
    customer_beta: User
    customer_gamma: User
    engineer: User
    engineer_en: User
    dispatcher: User
    manager: User
    administrator: User
    account_manager: User
    product_sep: Product
    product_smg: Product
    product_netbackup: Product
    product_norton: Product
    product_ngfw: Product
    product_ug_client: Product
    contract_alpha: Contract
    contract_beta: Contract
    contract_beta_standard: Contract
    contract_gamma_expired: Contract
    license_key_beta: LicenseKey
    license_key_beta_standard: LicenseKey


# attribute, e-mail, first name, last name, language, time zone.
USERS = [
    ("customer_alpha", "ivan@alpha.example", "Иван", "Смирнов", "ru", "Europe/Moscow"),
    ("orgadmin_alpha", "anna@alpha.example", "Анна", "Кузнецова", "ru", "Europe/Moscow"),
    ("colleague_alpha", "petr@alpha.example", "Пётр", "Волков", "ru", "Europe/Moscow"),
    ("customer_beta", "olga@beta.example", "Olga", "Morozova", "en", "Europe/Moscow"),
    ("customer_gamma", "aset@gamma.example", "Асет", "Нурланов", "ru", "Asia/Almaty"),
    ("engineer", "engineer@support.example", "Сергей", "Орлов", "ru", "Europe/Moscow"),
    ("engineer_en", "john@support.example", "John", "Smith", "en", "Europe/London"),
    ("dispatcher", "dispatcher@support.example", "Мария", "Соколова", "ru", "Europe/Moscow"),
    ("manager", "manager@support.example", "Дмитрий", "Лебедев", "ru", "Europe/Moscow"),
    ("administrator", "admin@support.example", "Алексей", "Новиков", "ru", "Europe/Moscow"),
    ("account_manager", "sales@support.example", "Елена", "Попова", "ru", "Europe/Moscow"),
]

# attribute: (is_staff, is_superuser); everybody else is neither.
STAFF = {"administrator": (True, True), "account_manager": (True, False)}

# attribute, name, country.
ORGANIZATIONS = [
    ("alpha", "ООО «Альфа-Системы»", "RU"),
    ("beta", "АО «Бета-Телеком»", "RU"),
    ("gamma", "ТОО «Гамма»", "KZ"),
]

# user, organization, Support Contact ID, organization admin, phone numbers.
CONTACTS = [
    ("customer_alpha", "alpha", "SC-1001", False, ["+7 495 111-22-33"]),
    ("orgadmin_alpha", "alpha", "SC-1002", True, []),
    ("colleague_alpha", "alpha", "SC-1003", False, []),
    ("customer_beta", "beta", "SC-2001", False, ["+7 812 222-33-44"]),
    ("customer_gamma", "gamma", "SC-3001", False, ["+7 727 355-66-77"]),
]

# user, role, teams.
AGENTS = [
    ("engineer", Agent.Role.ENGINEER, ["Russian support", "UserGate support"]),
    ("engineer_en", Agent.Role.ENGINEER, ["English dispatch"]),
    ("dispatcher", Agent.Role.DISPATCHER, ["Russian support", "UserGate support"]),
    ("manager", Agent.Role.MANAGER, ["Russian support", "English dispatch", "UserGate support"]),
    ("administrator", Agent.Role.ADMINISTRATOR, []),
]

PRODUCTS = {
    "product_sep": "symantec-endpoint-protection",
    "product_smg": "symantec-messaging-gateway",
    "product_netbackup": "veritas-netbackup",
    "product_norton": "norton-360",
    "product_ngfw": "usergate-ngfw",
    "product_ug_client": "usergate-client",
}

# attribute, Support ID, organization, regulation, level, valid from, valid to, products.
CONTRACTS = [
    (
        "contract_alpha",
        "SYM-100200",
        "alpha",
        "000",
        "essential",
        datetime.date(2025, 1, 1),
        datetime.date(2028, 12, 31),
        ["product_sep", "product_smg", "product_netbackup"],
    ),
    (
        "contract_beta",
        "UG-2025-0042",
        "beta",
        "002",
        "premium",
        datetime.date(2025, 1, 1),
        datetime.date(2028, 12, 31),
        ["product_ngfw", "product_ug_client"],
    ),
    (
        "contract_beta_standard",
        "UG-2025-0077",
        "beta",
        "002",
        "standard",
        datetime.date(2025, 1, 1),
        datetime.date(2028, 12, 31),
        ["product_ngfw"],
    ),
    (
        "contract_gamma_expired",
        "SYM-900900",
        "gamma",
        "000",
        "basic",
        datetime.date(2023, 1, 1),
        datetime.date(2025, 12, 31),
        ["product_sep"],
    ),
]

# attribute, key, contract, product.
LICENSE_KEYS = [
    ("license_key_beta", "UGNGFW-7A1C-92F0-4D1B", "contract_beta", "product_ngfw"),
    (
        "license_key_beta_standard",
        "UGNGFW-STD0-0000-0077",
        "contract_beta_standard",
        "product_ngfw",
    ),
]


def load_demo() -> DemoCast:
    """Load both seed regulations and the demo cast; running it again changes nothing."""
    with transaction.atomic():
        regulations = load_presets(["000", "002"])
        # DemoCast field name -> model instance of that field's type
        cast: dict[str, Any] = {
            "regulation_000": regulations["000"],
            "regulation_002": regulations["002"],
        }
        teams = {team.name: team for team in Team.objects.all()}
        cast.update(
            team_ru=teams["Russian support"],
            team_en=teams["English dispatch"],
            team_usergate=teams["UserGate support"],
        )

        users = sync_rows(
            User,
            [
                {
                    "email": email,
                    "first_name": first,
                    "last_name": last,
                    "language": language,
                    "timezone": tz,
                    "is_staff": STAFF.get(attribute, (False, False))[0],
                    "is_superuser": STAFF.get(attribute, (False, False))[1],
                    "is_active": True,
                }
                for attribute, email, first, last, language, tz in USERS
            ],
            key=("email",),
            # Only a new user gets the demo password: a rerun leaves existing logins alone.
            create_defaults=lambda row: {"password": make_password(PASSWORD)},
        )
        cast.update({spec[0]: user for spec, user in zip(USERS, users, strict=True)})
        sync_rows(
            EmailAddress,
            [
                {"user": user, "email": user.email, "verified": True, "primary": True}
                for user in users
            ],
            key=("user", "email"),
            scope={"user__in": users},
        )

        organizations = sync_rows(
            Organization,
            [
                {"name": name, "country": country, "account_manager": cast["account_manager"]}
                for _, name, country in ORGANIZATIONS
            ],
            key=("name",),
        )
        cast.update({spec[0]: org for spec, org in zip(ORGANIZATIONS, organizations, strict=True)})

        contacts = sync_rows(
            Contact,
            [
                {
                    "user": cast[user],
                    "organization": cast[org],
                    "support_contact_id": contact_id,
                    "is_org_admin": is_admin,
                }
                for user, org, contact_id, is_admin, _ in CONTACTS
            ],
            key=("user",),
        )
        sync_rows(
            ContactPhone,
            [
                {"contact": contact, "number": number, "normalized": normalize_phone(number)}
                for contact, spec in zip(contacts, CONTACTS, strict=True)
                for number in spec[4]
            ],
            key=("contact", "number"),
            scope={"contact__in": contacts},
        )

        agents = sync_rows(
            Agent, [{"user": cast[user], "role": role} for user, role, _ in AGENTS], key=("user",)
        )
        sync_m2m(
            Agent,
            "teams",
            {
                agent.pk: [teams[name].pk for name in spec[2]]
                for agent, spec in zip(agents, AGENTS, strict=True)
            },
        )

        products = {p.code: p for p in Product.objects.filter(code__in=PRODUCTS.values())}
        cast.update({attr: products[code] for attr, code in PRODUCTS.items()})

        levels = {
            (level.regulation.code, level.code): level
            for regulation in regulations.values()
            for level in regulation.levels.all()
        }
        contracts = sync_rows(
            Contract,
            [
                {
                    "support_id": support_id,
                    "organization": cast[org],
                    "regulation": regulations[regulation],
                    "level": levels[(regulation, level)],
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                }
                for _, support_id, org, regulation, level, valid_from, valid_to, _ in CONTRACTS
            ],
            key=("support_id",),
        )
        cast.update({spec[0]: c for spec, c in zip(CONTRACTS, contracts, strict=True)})
        sync_m2m(
            Contract,
            "products",
            {
                contract.pk: [cast[attr].pk for attr in spec[7]]
                for contract, spec in zip(contracts, CONTRACTS, strict=True)
            },
        )

        keys = sync_rows(
            LicenseKey,
            [
                {"key": key, "contract": cast[contract], "product": cast[product]}
                for _, key, contract, product in LICENSE_KEYS
            ],
            key=("key",),
        )
        cast.update({spec[0]: key for spec, key in zip(LICENSE_KEYS, keys, strict=True)})
    return DemoCast(**cast)
