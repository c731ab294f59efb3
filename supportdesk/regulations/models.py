"""The regulation model: a written support policy as data an administrator edits.

A Regulation covers product lines and defines, per support level, the channels, the required
registration fields, priorities and their criteria, the SLA matrix with calendars, the silence and
confirmation rules, escalation contacts and language routing. See docs/regulations.md.
"""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.models import Language, validate_timezone

HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def validate_hhmm(value: str) -> None:
    if not HHMM.match(value):
        raise ValidationError(_("Use HH:MM between 00:00 and 24:00 (24:00 is the end of the day)."))


def new_rules_version() -> str:
    """A fresh, never repeated version token (see ``regulations.rules``)."""
    return uuid.uuid4().hex


def hhmm_to_minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone (dispatcher)")
    API = "api", _("API")


class Translated:
    """Picks `<field>_en` over `<field>` when the active language is English and it is filled."""

    def tr(self, field: str) -> str:
        if (get_language() or "").startswith("en"):
            english = getattr(self, f"{field}_en", "")
            if english:
                return english
        return getattr(self, field)

    @property
    def display_name(self) -> str:
        """The name in the active language, for templates."""
        return self.tr("name")


class BusinessCalendar(models.Model):
    """Working time: a timezone, weekly hours, a country's holidays and local overrides."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    holiday_country = models.CharField(
        _("holidays of country"),
        max_length=2,
        blank=True,
        help_text=_("ISO code, e.g. RU. Empty for a 24×7 calendar that ignores holidays."),
    )
    holiday_subdivision = models.CharField(_("subdivision"), max_length=10, blank=True)
    transferred_day_start = models.CharField(
        _("transferred working day from"), max_length=5, default="09:00", validators=[validate_hhmm]
    )
    transferred_day_end = models.CharField(
        _("transferred working day until"),
        max_length=5,
        default="18:00",
        validators=[validate_hhmm],
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def to_spec(self) -> dict:
        """The calendar in businesstime's spec format (see docs/businesstime.md)."""
        days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        weekly: dict[str, list[list[str]]] = {}
        for interval in self.hours.all():
            weekly.setdefault(days[interval.weekday], []).append([interval.start, interval.end])
        overrides: dict[str, list[list[str]]] = {}
        for override in self.overrides.all():
            key = override.date.isoformat()
            if override.kind == CalendarOverride.Kind.DAY_OFF:
                overrides[key] = []
            else:
                overrides.setdefault(key, []).append([override.start, override.end])
        return {
            "timezone": self.timezone,
            "weekly": weekly,
            "holidays": (
                {"country": self.holiday_country, "subdivision": self.holiday_subdivision or None}
                if self.holiday_country
                else None
            ),
            "transferred_working_day_hours": [
                [self.transferred_day_start, self.transferred_day_end]
            ],
            "overrides": overrides,
        }


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.CharField(_("from"), max_length=5, validators=[validate_hhmm])
    end = models.CharField(_("until"), max_length=5, validators=[validate_hhmm])

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start}–{self.end}"

    def clean(self) -> None:
        if self.start and self.end and hhmm_to_minutes(self.start) >= hhmm_to_minutes(self.end):
            raise ValidationError(_("The interval must end after it starts."))


class CalendarOverride(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Extra day off")
        WORKING_DAY = "working_day", _("Extra working day")
        SHORTENED = "shortened", _("Shortened day")

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="overrides"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start = models.CharField(_("from"), max_length=5, blank=True, validators=[validate_hhmm])
    end = models.CharField(_("until"), max_length=5, blank=True, validators=[validate_hhmm])
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind != self.Kind.DAY_OFF and not (self.start and self.end):
            raise ValidationError(_("Working and shortened days need their hours."))


class Regulation(Translated, models.Model):
    """A support regulation (support policy) as configuration."""

    class DayCount(models.TextChoices):
        CALENDAR = "calendar", _("calendar days")
        WORKING = "working", _("working days")

    class ConfirmationAction(models.TextChoices):
        REMIND = "remind", _("Remind the customer and keep waiting")
        CLOSE = "close", _("Remind, then close as confirmed")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    product_lines = models.ManyToManyField(
        "catalog.ProductLine", verbose_name=_("product lines"), related_name="regulations"
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.RUSSIAN
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("support calendar"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Counts working days for the silence and confirmation rules."),
    )
    silence_days = models.PositiveSmallIntegerField(
        _("close after days of customer silence"), default=5
    )
    silence_day_count = models.CharField(
        _("silence counted in"), max_length=10, choices=DayCount.choices, default=DayCount.CALENDAR
    )
    confirmation_working_days = models.PositiveSmallIntegerField(
        _("working days to confirm a solution"), default=1
    )
    confirmation_action = models.CharField(
        _("when the confirmation period ends"),
        max_length=10,
        choices=ConfirmationAction.choices,
        default=ConfirmationAction.REMIND,
    )
    # xgettext:no-python-format
    warning_percent = models.PositiveSmallIntegerField(_("warn at % of a target"), default=80)
    primary_diagnostics_required = models.BooleanField(
        _("primary diagnostics by the customer's administrator first"), default=False
    )
    max_attachment_mb = models.PositiveIntegerField(_("maximum attachment size, MB"), default=25)
    allowed_attachment_types = models.CharField(
        _("allowed attachment types"),
        max_length=500,
        default="txt,log,pdf,png,jpg,gif,zip,gz,7z,xml,json,csv,cfg,conf",
        help_text=_("File types by content, comma-separated extensions."),
    )
    email_replies_accepted = models.BooleanField(
        _("customers may answer by e-mail"),
        default=False,
        help_text=_(
            "A reply to our e-mail becomes a customer reply on the request. Otherwise the sender "
            "gets a polite answer pointing to the portal and the message is kept for agents only. "
            "New requests by e-mail are allowed by an e-mail channel rule (per product line)."
        ),
    )
    notes = models.TextField(_("text of the regulation / notes"), blank=True)
    # Changes with every edit of the regulation or of what it uses (levels, channels, required
    # fields, priorities, SLA cells, routes, calendars): keys the per-process compiled rules.
    rules_version = models.CharField(max_length=32, default=new_rules_version, editable=False)

    class Meta:
        verbose_name = _("regulation")
        verbose_name_plural = _("regulations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupportLevel(Translated, models.Model):
    regulation = models.ForeignKey(
        Regulation, verbose_name=_("regulation"), on_delete=models.CASCADE, related_name="levels"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0, help_text=_("Higher is better."))

    class Meta:
        verbose_name = _("support level")
        verbose_name_plural = _("support levels")
        ordering = ["regulation", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["regulation", "code"], name="unique_level_code")
        ]

    def __str__(self) -> str:
        return self.tr("name")


class ChannelRule(models.Model):
    """A channel allowed for the regulation (optionally only for some levels or a product line)."""

    regulation = models.ForeignKey(
        Regulation, verbose_name=_("regulation"), on_delete=models.CASCADE, related_name="channels"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    levels = models.ManyToManyField(
        SupportLevel, verbose_name=_("only for levels"), blank=True, related_name="+"
    )
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        verbose_name=_("only for product line"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.CharField(
        _("address"), max_length=200, blank=True, help_text=_("Portal URL or intake e-mail.")
    )

    class Meta:
        verbose_name = _("allowed channel")
        verbose_name_plural = _("allowed channels")

    def __str__(self) -> str:
        return self.get_channel_display()


class HotlineNumber(Translated, models.Model):
    regulation = models.ForeignKey(
        Regulation, verbose_name=_("regulation"), on_delete=models.CASCADE, related_name="hotlines"
    )
    country = models.CharField(_("country"), max_length=2)
    number = models.CharField(_("number"), max_length=60)
    instructions = models.CharField(
        _("instructions"), max_length=300, blank=True, help_text=_("IVR choices, dialling notes.")
    )
    instructions_en = models.CharField(_("instructions (English)"), max_length=300, blank=True)
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        verbose_name=_("product line"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    levels = models.ManyToManyField(
        SupportLevel,
        verbose_name=_("shown to levels"),
        blank=True,
        related_name="+",
        help_text=_("Empty: shown to every level."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("hotline number")
        verbose_name_plural = _("hotline numbers")
        ordering = ["order", "country"]

    def __str__(self) -> str:
        return f"{self.country} {self.number}"

    @property
    def display_instructions(self) -> str:
        return self.tr("instructions")


class RegistrationField(models.TextChoices):
    SUPPORT_ID = "support_id", _("Support ID")
    SUPPORT_CONTACT_ID = "support_contact_id", _("Support Contact ID")
    LICENSE_KEY = "license_key", _("License key")
    PRODUCT = "product", _("Product")
    VERSION = "version", _("Product version")
    OS_VERSION = "os_version", _("Operating system version")
    SERVICE_PACK = "service_pack", _("Service packs")
    SUBJECT = "subject", _("Subject")
    DESCRIPTION = "description", _("Description of the problem")
    PRIORITY = "priority", _("Priority")


class RequiredField(models.Model):
    """A field a registration must carry. Fields sharing a group: at least one of them."""

    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="required_fields",
    )
    field = models.CharField(_("field"), max_length=30, choices=RegistrationField.choices)
    any_of_group = models.CharField(
        _("any-of group"),
        max_length=20,
        blank=True,
        help_text=_("Fields with the same group are alternatives: one of them suffices."),
    )

    class Meta:
        verbose_name = _("required field")
        verbose_name_plural = _("required fields")
        constraints = [
            models.UniqueConstraint(fields=["regulation", "field"], name="unique_required_field")
        ]

    def __str__(self) -> str:
        return self.get_field_display()


class DiagnosticsItem(Translated, models.Model):
    """One step of the primary diagnostics checklist the customer's administrator does first."""

    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="diagnostics_items",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: for every product of the regulation."),
    )
    text = models.CharField(_("text"), max_length=300)
    text_en = models.CharField(_("text (English)"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("primary diagnostics item")
        verbose_name_plural = _("primary diagnostics checklist")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.text


class Priority(Translated, models.Model):
    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="priorities",
    )
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    criteria = models.TextField(_("criteria"))
    criteria_en = models.TextField(_("criteria (English)"), blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the most urgent."))

    class Meta:
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        ordering = ["regulation", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["regulation", "code"], name="unique_priority_code")
        ]

    def __str__(self) -> str:
        return self.tr("name")

    @property
    def display_criteria(self) -> str:
        return self.tr("criteria")


class SlaTarget(models.Model):
    """One cell of the SLA matrix: level × priority → reaction and resolution targets."""

    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="sla_targets",
    )
    level = models.ForeignKey(SupportLevel, verbose_name=_("level"), on_delete=models.CASCADE)
    priority = models.ForeignKey(Priority, verbose_name=_("priority"), on_delete=models.CASCADE)
    reaction_minutes = models.PositiveIntegerField(_("reaction, business minutes"))
    reaction_calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("reaction calendar"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution, business minutes"))
    resolution_calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("resolution calendar"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_example = models.BooleanField(
        _("example value"),
        default=False,
        help_text=_("The regulation gives no figure: replace with the real contract's value."),
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA matrix")
        constraints = [
            models.UniqueConstraint(fields=["level", "priority"], name="unique_sla_cell")
        ]

    def __str__(self) -> str:
        return f"{self.level} × {self.priority}"


class WorkMethod(Translated, models.Model):
    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="work_methods",
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    levels = models.ManyToManyField(
        SupportLevel,
        verbose_name=_("only for levels"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every level."),
    )

    class Meta:
        verbose_name = _("work method")
        verbose_name_plural = _("work methods")
        constraints = [
            models.UniqueConstraint(fields=["regulation", "code"], name="unique_work_method")
        ]

    def __str__(self) -> str:
        return self.tr("name")


class EscalationContact(models.Model):
    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="escalation_contacts",
    )
    escalation_level = models.PositiveSmallIntegerField(_("from escalation level"), default=1)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.RUSSIAN
    )

    class Meta:
        verbose_name = _("escalation contact")
        verbose_name_plural = _("escalation contacts")
        ordering = ["escalation_level"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LanguageRoute(models.Model):
    """Which team serves a language during its hours, and what happens outside them."""

    class OutsideHours(models.TextChoices):
        CALLBACK = "callback", _("Voicemail and callback request")
        OTHER_TEAM = "other_team", _("Hand over to another team")
        CALLBACK_OR_OTHER_TEAM = "callback_or_other", _("Callback, or another team")

    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("regulation"),
        on_delete=models.CASCADE,
        related_name="language_routes",
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    outside_hours = models.CharField(
        _("outside the team's hours"), max_length=20, choices=OutsideHours.choices
    )
    fallback_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("other team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("language route")
        verbose_name_plural = _("language routing")
        constraints = [
            models.UniqueConstraint(fields=["regulation", "language"], name="unique_language_route")
        ]

    def __str__(self) -> str:
        return f"{self.get_language_display()} → {self.team}"
