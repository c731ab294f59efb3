"""Seed 000: Russian-language support of Symantec enterprise products (Basic, Essential, BCS).

Source: seeds/000_9ba3693baa5af274.txt. The seed names the levels, the hotlines, the working hours,
the identification fields, the five-day silence rule, the portal and the Veritas-only e-mail form.
It gives no priorities, no reaction figures and no confirmation rule: those values below are
examples (``is_example`` on the SLA cells, listed in ``notes``), to be replaced by the contract's.
See docs/regulations.md.
"""

from __future__ import annotations

DAY = "MSK 08-20"
ALWAYS = "MSK 24x7"

REGULATION = {
    "code": "000",
    "name": "Техническая поддержка корпоративных продуктов Symantec (русскоязычная)",
    "name_en": "Symantec enterprise support (Russian-language)",
    "language": "ru",
    "calendar": DAY,
    "silence_days": 5,
    "silence_day_count": "calendar",
    "confirmation_working_days": 5,
    "confirmation_action": "remind",
    "warning_percent": 80,
    "primary_diagnostics_required": False,
    # "Инженер связывается по телефону или электронной почте": customers answer by replying.
    "email_replies_accepted": True,
    "notes": (
        "Инструкция по обращению в русскоязычную службу технической поддержки корпоративных "
        "продуктов Symantec для клиентов с действующим контрактом Basic, Essential или BCS.\n"
        "\n"
        "- Запрос открывается по телефону через диспетчера: номера для России, Украины и "
        "Казахстана (голосовое меню: 1 — продукты Symantec, 3 — Norton).\n"
        "- Звонки с 08:00 до 20:00 по московскому времени принимают русскоязычные сотрудники; "
        "вне этого времени — голосовая почта с просьбой перезвонить или англоязычный диспетчер.\n"
        "- Для заведения инцидента нужны Support ID и/или Support Contact ID, полное название и "
        "версия продукта, версия ОС и пакеты обновления, краткое описание проблемы. Поддержка "
        "по просроченным контрактам не оказывается. Диспетчер присваивает уникальный номер.\n"
        "- Инженер связывается по телефону или электронной почте в течение времени, зависящего "
        "от уровня поддержки, и ведёт инцидент до полного разрешения.\n"
        "- Без ответа клиента в течение пяти дней инцидент закрывается; повторное открытие — "
        "через диспетчера. Эскалация (поднятие приоритета) — повторным звонком диспетчеру.\n"
        "- Портал https://mysupport.symantec.com/ (нужна регистрация) — отслеживание и открытие "
        "запросов; веб-форма электронной почты "
        "http://seer.entsupport.symantec.com/email_forms/intro_emailsup.asp — только для "
        "продуктов Veritas.\n"
        "- Продукты Norton обслуживает отдельная бесплатная линия: 8 10 800 21221044, "
        "+7 499 272 2059.\n"
        "\n"
        "Примерные значения (в регламенте их нет, заменить на значения контракта): приоритеты "
        "p1–p4 и их критерии, вся матрица SLA, срок подтверждения решения (5 рабочих дней, "
        "напоминание), адрес приёма почты Veritas, контакты эскалации."
    ),
}

PRODUCT_LINES = [
    {
        "code": "symantec-enterprise",
        "name": "Корпоративные продукты Symantec",
        "name_en": "Symantec enterprise products",
        "is_consumer": False,
    },
    {
        "code": "veritas",
        "name": "Продукты Veritas",
        "name_en": "Veritas products",
        "is_consumer": False,
    },
    {"code": "norton", "name": "Norton", "name_en": "Norton", "is_consumer": True},
]

PRODUCTS = [
    {
        "code": "symantec-endpoint-protection",
        "line": "symantec-enterprise",
        "name": "Symantec Endpoint Protection",
        "versions": ["14.3 RU8", "14.3 RU9"],
    },
    {
        "code": "symantec-messaging-gateway",
        "line": "symantec-enterprise",
        "name": "Symantec Messaging Gateway",
        "versions": ["10.8"],
    },
    {
        "code": "veritas-netbackup",
        "line": "veritas",
        "name": "Veritas NetBackup",
        "versions": ["10.3", "10.4"],
    },
    {"code": "norton-360", "line": "norton", "name": "Norton 360", "versions": ["22.x"]},
]

LEVELS = [
    {"code": "basic", "name": "Basic", "name_en": "Basic", "rank": 1},
    {"code": "essential", "name": "Essential", "name_en": "Essential", "rank": 2},
    {"code": "bcs", "name": "BCS", "name_en": "BCS (Business Critical Services)", "rank": 3},
]

# Empty "levels": every level. "product_line": only for products of that line.
CHANNELS = [
    {"channel": "phone", "levels": [], "product_line": None, "address": ""},
    {
        "channel": "portal",
        "levels": [],
        "product_line": None,
        "address": "https://mysupport.symantec.com/",
    },
    {"channel": "api", "levels": [], "product_line": None, "address": ""},
    {
        "channel": "email",
        "levels": [],
        "product_line": "veritas",
        "address": "veritas-support@support.example",
    },
]

HOTLINES = [
    {
        "country": "RU",
        "number": "8 800 7009983",
        "instructions": "Звонок из городов России — бесплатный.",
        "instructions_en": "Free from Russian cities.",
        "product_line": None,
        "levels": [],
    },
    {
        "country": "RU",
        "number": "+7 495 6412291",
        "instructions": "Звонок из Москвы — бесплатный.",
        "instructions_en": "Free from Moscow.",
        "product_line": None,
        "levels": [],
    },
    {
        "country": "UA",
        "number": "0 0011 800 9728616",
        "instructions": (
            "Звонок из городов Украины — бесплатный. Нажмите 1 в тональном режиме для поддержки "
            "продуктов Symantec или 3 — для поддержки Norton."
        ),
        "instructions_en": (
            "Free from Ukrainian cities. Press 1 (tone dialling) for Symantec products or 3 for "
            "Norton."
        ),
        "product_line": None,
        "levels": [],
    },
    {
        "country": "KZ",
        "number": "8 800 1214321",
        "instructions": (
            "Сразу после голосового сообщения наберите 800 972 8616 (звонок из городов Казахстана "
            "— бесплатный), затем нажмите 1 в тональном режиме для поддержки продуктов Symantec "
            "или 3 — для поддержки Norton."
        ),
        "instructions_en": (
            "Right after the voice message dial 800 972 8616 (free from Kazakh cities), then "
            "press 1 (tone dialling) for Symantec products or 3 for Norton."
        ),
        "product_line": None,
        "levels": [],
    },
    {
        "country": "RU",
        "number": "8 10 800 21221044",
        "instructions": "Бесплатная линия Norton. Звонок из городов России — бесплатный.",
        "instructions_en": "Free Norton line. Free from Russian cities.",
        "product_line": "norton",
        "levels": [],
    },
    {
        "country": "RU",
        "number": "+7 499 272 2059",
        "instructions": "Бесплатная линия Norton. Звонок из Москвы — бесплатный.",
        "instructions_en": "Free Norton line. Free from Moscow.",
        "product_line": "norton",
        "levels": [],
    },
]

# (field, any-of group): fields sharing a group are alternatives.
REQUIRED_FIELDS = [
    ("support_id", "identification"),
    ("support_contact_id", "identification"),
    ("product", ""),
    ("version", ""),
    ("os_version", ""),
    ("service_pack", ""),
    ("description", ""),
]

DIAGNOSTICS: list[dict] = []

PRIORITIES = [
    {
        "code": "p1",
        "name": "Критический",
        "name_en": "Critical",
        "rank": 1,
        "criteria": (
            "Производственная система не работает или недоступна, работа бизнеса остановлена; "
            "обходного решения нет."
        ),
        "criteria_en": (
            "A production system is down or unavailable and business operations have stopped; "
            "there is no workaround."
        ),
    },
    {
        "code": "p2",
        "name": "Высокий",
        "name_en": "High",
        "rank": 2,
        "criteria": (
            "Серьёзное снижение производительности или функциональности в производственной среде; "
            "работа продолжается со значительными ограничениями."
        ),
        "criteria_en": (
            "Serious degradation of performance or functionality in production; operations "
            "continue with significant restrictions."
        ),
    },
    {
        "code": "p3",
        "name": "Средний",
        "name_en": "Medium",
        "rank": 3,
        "criteria": "Частичная потеря некритичной функциональности; есть обходное решение.",
        "criteria_en": "Partial loss of non-critical functionality; a workaround exists.",
    },
    {
        "code": "p4",
        "name": "Низкий",
        "name_en": "Low",
        "rank": 4,
        "criteria": (
            "Вопрос о работе продукта, консультация или косметический дефект без влияния на работу."
        ),
        "criteria_en": (
            "A question about the product, a consultation or a cosmetic defect with no impact on "
            "operations."
        ),
    },
]

# level, priority, reaction minutes, reaction calendar, resolution minutes, resolution calendar.
# All example values: the seed says only that the reaction time depends on the level.
# A working day of MSK 08-20 has 720 business minutes.
SLA = [
    ("basic", "p1", 240, DAY, 2160, DAY),
    ("basic", "p2", 480, DAY, 4320, DAY),
    ("basic", "p3", 720, DAY, 8640, DAY),
    ("basic", "p4", 1440, DAY, 14400, DAY),
    ("essential", "p1", 60, DAY, 1440, DAY),
    ("essential", "p2", 240, DAY, 2880, DAY),
    ("essential", "p3", 480, DAY, 5760, DAY),
    ("essential", "p4", 720, DAY, 10080, DAY),
    ("bcs", "p1", 30, ALWAYS, 240, ALWAYS),
    ("bcs", "p2", 120, DAY, 720, DAY),
    ("bcs", "p3", 240, DAY, 2880, DAY),
    ("bcs", "p4", 480, DAY, 7200, DAY),
]

WORK_METHODS = [
    {"code": "phone", "name": "Телефон", "name_en": "Phone", "levels": []},
    {"code": "email", "name": "Электронная почта", "name_en": "E-mail", "levels": []},
    {"code": "portal", "name": "Портал поддержки", "name_en": "Support portal", "levels": []},
]

ESCALATION_CONTACTS = [
    {
        "escalation_level": 1,
        "name": "Руководитель группы поддержки",
        "email": "escalation@support.example",
        "language": "ru",
    },
    {
        "escalation_level": 2,
        "name": "Head of support",
        "email": "head-of-support@support.example",
        "language": "en",
    },
]

LANGUAGE_ROUTES = [
    {
        "language": "ru",
        "team": "Russian support",
        "outside_hours": "callback_or_other",
        "fallback_team": "English dispatch",
    },
    {
        "language": "en",
        "team": "English dispatch",
        "outside_hours": "callback",
        "fallback_team": None,
    },
]
