"""Seed 002: the UserGate support regulation, section 2 (Standard, Extended, Premium).

Source: seeds/002_045fccadde1ab8fc.txt. The seed names the portal, the hotline for extended and
premium support, the primary diagnostics, the required fields, the customer-chosen priority, the
work methods, the one-working-day confirmation and the ten-working-day silence rule. Its priority
criteria (section 1.4), the SLA figures and the working hours are not in the file: those values
below are examples (``is_example`` on the SLA cells, listed in ``notes``). See docs/regulations.md.
"""

from __future__ import annotations

DAY = "MSK 09-18"
ALWAYS = "MSK 24x7"

REGULATION = {
    "code": "002",
    "name": "Регламент технической поддержки UserGate",
    "name_en": "UserGate support regulation",
    "language": "ru",
    "calendar": DAY,
    "silence_days": 10,
    "silence_day_count": "working",
    "confirmation_working_days": 1,
    "confirmation_action": "remind",
    "warning_percent": 80,
    "primary_diagnostics_required": True,
    # "Иные каналы (... электронная почта ...) не используются": notifications only, no replies.
    "email_replies_accepted": False,
    "notes": (
        "Раздел 2 регламента технической поддержки UserGate.\n"
        "\n"
        "- Заявки принимаются только через единый портал https://support.usergate.com/ru; "
        "телефон горячей линии для Расширенной (и Премиум) поддержки предоставляется "
        "Пользователю индивидуально. Иные каналы (другие телефоны, электронная почта, "
        "мессенджеры) не используются.\n"
        "- Обращению предшествует первичная диагностика специалистом, администрирующим продукт.\n"
        "- Заявка содержит лицензионный ключ, версию продукта, описание неисправности и приоритет, "
        "который Пользователь выбирает по критериям регламента; изменить приоритет можно по "
        "взаимному согласию Сторон. Одна заявка — одна проблема.\n"
        "- Уникальный номер заявки высылается автоматически на электронную почту; с этого момента "
        "заявка зарегистрирована.\n"
        "- Время реагирования и решения — по уровню обслуживания (SLA) и приоритету.\n"
        "- Способы отработки: консультация через портал, удалённое подключение, для Премиум — "
        "консультация по телефону по срочным вопросам; выбор согласуется с Пользователем и не "
        "влияет на время решения.\n"
        "- Результат подтверждается или мотивированно отклоняется на портале в течение одного "
        "рабочего дня; без информации от Пользователя более 10 рабочих дней заявка может быть "
        "закрыта в одностороннем порядке.\n"
        "- Инженер может запросить логи, конфигурации, трейсы, схемы сети.\n"
        "\n"
        "Примерные значения (в файле регламента их нет, заменить на значения договора): "
        "критерии приоритетов p1–p4 (п. 1.4 регламента), вся матрица SLA, рабочие часы "
        "09:00–18:00 МСК, действие по истечении срока подтверждения (напоминание), пункты "
        "чек-листа первичной диагностики, контакт эскалации."
    ),
}

PRODUCT_LINES = [
    {"code": "usergate", "name": "UserGate", "name_en": "UserGate", "is_consumer": False},
]

PRODUCTS = [
    {
        "code": "usergate-ngfw",
        "line": "usergate",
        "name": "UserGate NGFW",
        "versions": ["7.1", "7.2"],
    },
    {"code": "usergate-client", "line": "usergate", "name": "UserGate Client", "versions": ["7.x"]},
]

LEVELS = [
    {"code": "standard", "name": "Стандартная", "name_en": "Standard", "rank": 1},
    {"code": "extended", "name": "Расширенная", "name_en": "Extended", "rank": 2},
    {"code": "premium", "name": "Премиум", "name_en": "Premium", "rank": 3},
]

CHANNELS = [
    {
        "channel": "portal",
        "levels": [],
        "product_line": None,
        "address": "https://support.usergate.com/ru",
    },
    {"channel": "api", "levels": [], "product_line": None, "address": ""},
    {"channel": "phone", "levels": ["extended", "premium"], "product_line": None, "address": ""},
]

HOTLINES = [
    {
        "country": "RU",
        "number": "предоставляется индивидуально / given individually",
        "instructions": (
            "Номер горячей линии сообщается Пользователю индивидуально. Для Премиум — для "
            "чрезвычайных обстоятельств, требующих безотлагательного разрешения."
        ),
        "instructions_en": (
            "The hotline number is given to the customer individually. With Premium: for "
            "emergencies that need immediate resolution."
        ),
        "product_line": None,
        "levels": ["extended", "premium"],
    },
]

REQUIRED_FIELDS = [
    ("license_key", ""),
    ("product", ""),
    ("version", ""),
    ("description", ""),
    ("priority", ""),
]

DIAGNOSTICS = [
    {
        "text": (
            "Проверьте состояние служб продукта и системные журналы (журнал событий, журнал "
            "веб-консоли) на наличие ошибок."
        ),
        "text_en": (
            "Check the state of the product's services and the system logs (event log, web "
            "console log) for errors."
        ),
    },
    {
        "text": "Проверьте срок действия и статус лицензии в веб-консоли.",
        "text_en": "Check the licence's validity and status in the web console.",
    },
    {
        "text": "Проверьте сетевую связность и маршрутизацию (интерфейсы, шлюзы, DNS).",
        "text_en": "Check network connectivity and routing (interfaces, gateways, DNS).",
    },
    {
        "text": "Воспроизведите проблему и запишите точное время и текст ошибки.",
        "text_en": "Reproduce the problem and note the exact time and the error text.",
    },
    {
        "text": "Сформируйте диагностический архив (журналы и конфигурация) для передачи инженеру.",
        "text_en": "Collect the diagnostic archive (logs and configuration) for the engineer.",
    },
]

PRIORITIES = [
    {
        "code": "p1",
        "name": "Критический",
        "name_en": "Critical",
        "rank": 1,
        "criteria": (
            "Продукт не работает или защищаемая сеть недоступна, работа организации остановлена; "
            "обходного решения нет."
        ),
        "criteria_en": (
            "The product is down or the protected network is unavailable and the organization's "
            "work has stopped; there is no workaround."
        ),
    },
    {
        "code": "p2",
        "name": "Высокий",
        "name_en": "High",
        "rank": 2,
        "criteria": (
            "Существенное снижение производительности или отказ важной функции продукта; работа "
            "продолжается со значительными ограничениями."
        ),
        "criteria_en": (
            "Significant loss of performance or failure of an important product function; work "
            "continues with significant restrictions."
        ),
    },
    {
        "code": "p3",
        "name": "Средний",
        "name_en": "Medium",
        "rank": 3,
        "criteria": "Частичная потеря функциональности; есть обходное решение.",
        "criteria_en": "Partial loss of functionality; a workaround exists.",
    },
    {
        "code": "p4",
        "name": "Низкий",
        "name_en": "Low",
        "rank": 4,
        "criteria": (
            "Вопрос о настройке или работе продукта, консультация, косметический дефект без "
            "влияния на работу."
        ),
        "criteria_en": (
            "A question about configuring or using the product, a consultation, or a cosmetic "
            "defect with no impact on operations."
        ),
    },
]

# level, priority, reaction minutes, reaction calendar, resolution minutes, resolution calendar.
# All example values. A working day of MSK 09-18 has 540 business minutes.
SLA = [
    ("standard", "p1", 240, DAY, 2160, DAY),
    ("standard", "p2", 480, DAY, 4320, DAY),
    ("standard", "p3", 1080, DAY, 10800, DAY),
    ("standard", "p4", 2160, DAY, 21600, DAY),
    ("extended", "p1", 120, DAY, 1080, DAY),
    ("extended", "p2", 240, DAY, 2160, DAY),
    ("extended", "p3", 540, DAY, 5400, DAY),
    ("extended", "p4", 1080, DAY, 10800, DAY),
    ("premium", "p1", 30, ALWAYS, 480, ALWAYS),
    ("premium", "p2", 60, DAY, 1080, DAY),
    ("premium", "p3", 240, DAY, 2700, DAY),
    ("premium", "p4", 540, DAY, 5400, DAY),
]

WORK_METHODS = [
    {
        "code": "portal",
        "name": "Консультация через портал",
        "name_en": "Portal consultation",
        "levels": [],
    },
    {"code": "remote", "name": "Удалённое подключение", "name_en": "Remote session", "levels": []},
    {
        "code": "phone",
        "name": "Консультация по телефону по срочным вопросам",
        "name_en": "Phone consultation on urgent matters",
        "levels": ["premium"],
    },
]

ESCALATION_CONTACTS = [
    {
        "escalation_level": 1,
        "name": "Старший инженер",
        "email": "senior@usergate-support.example",
        "language": "ru",
    },
]

LANGUAGE_ROUTES = [
    {
        "language": "ru",
        "team": "UserGate support",
        "outside_hours": "callback",
        "fallback_team": None,
    },
]
