"""People and organizations: users, customer organizations and contacts, agents and teams."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


def normalize_phone(value: str) -> str:
    """Digits only, so '+7 (495) 641-22-91' and '74956412291' find the same contact."""
    return re.sub(r"\D", "", value or "")


class Language(models.TextChoices):
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class EmailUserManager(UserManager["User"]):
    """Users log in with their e-mail address: it is the ``username`` Django's signatures name
    (``create_user("ivan@alpha.example", password=...)``) or ``email=`` (``createsuperuser``)."""

    use_in_migrations = True

    def _create_user(
        self, username: str | None, email: str | None, password: str | None, **extra_fields: Any
    ) -> User:
        address = email or username
        if not address or (username and email and username != email):
            raise ValueError("One e-mail address is required")
        user = self.model(email=self.normalize_email(address), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self,
        username: str | None = None,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(
        self,
        username: str | None = None,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: a customer contact or an agent. Logs in with the e-mail address."""

    # Django's documented way to drop an inherited field; the stubs type it as a str field.
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.RUSSIAN
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_timezone]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Organization(models.Model):
    """A customer company. Contracts, contacts and tickets belong to exactly one organization."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO code"))
    account_manager = models.ForeignKey(
        User,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_organizations",
        help_text=_(
            "Receives refused registrations of this organization (e.g. expired contracts)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A customer person entitled to open tickets for an organization."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="contact"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    support_contact_id = models.CharField(
        _("Support Contact ID"), max_length=40, unique=True, null=True, blank=True
    )
    is_org_admin = models.BooleanField(
        _("organization administrator"),
        default=False,
        help_text=_("Sees and acts on all tickets of the organization."),
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.user} ({self.organization})"


class ContactPhone(models.Model):
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("phone number"), max_length=40)
    normalized = models.CharField(max_length=40, db_index=True, editable=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        self.normalized = normalize_phone(self.number)
        super().save(*args, **kwargs)


class Team(models.Model):
    """A group of agents serving one language during the hours of its calendar."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices)
    calendar = models.ForeignKey(
        "regulations.BusinessCalendar",
        verbose_name=_("working hours"),
        on_delete=models.PROTECT,
        related_name="teams",
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A vendor employee working tickets, with one role."""

    class Role(models.TextChoices):
        DISPATCHER = "dispatcher", _("Dispatcher")
        ENGINEER = "engineer", _("Engineer")
        MANAGER = "manager", _("Manager")
        ADMINISTRATOR = "administrator", _("Administrator")

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="agent"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="agents")

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
