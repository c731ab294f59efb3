"""The audit log: one append-only row per security-relevant event.

Rows are never changed: ``save`` refuses an existing row, ``delete`` refuses, and the queryset's
``update`` and ``delete`` refuse too. The only way rows leave is ``purge_before`` (the retention
task, services.purge_expired). The actor is kept as an id and an e-mail copy, not a foreign key,
so deleting a user changes no audit row.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit record."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit records are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit records are deleted only by the retention purge")

    def purge_before(self, cutoff: datetime.datetime) -> int:
        """Delete the records older than ``cutoff`` (the retention task only)."""
        deleted, _counts = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class AuditRecord(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("audit action", "created")
        CHANGE = "change", pgettext_lazy("audit action", "changed")
        DELETE = "delete", pgettext_lazy("audit action", "deleted")
        LOGIN = "login", pgettext_lazy("audit action", "signed in")
        LOGIN_FAILED = "login_failed", pgettext_lazy("audit action", "sign-in failed")
        LOGOUT = "logout", pgettext_lazy("audit action", "signed out")
        EXPORT = "export", pgettext_lazy("audit action", "exported")
        DOWNLOAD = "download", pgettext_lazy("audit action", "downloaded")
        RESEND = "resend", pgettext_lazy("audit action", "e-mail sent again")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_email = models.CharField(_("actor"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # "regulations.regulation", "accounts.user"…: the model's label, lower case.
    target_type = models.CharField(_("object type"), max_length=100, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=300, blank=True)
    # {"field": [before, after]}; secrets (passwords, token hashes, MFA data) only by name.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("audit records are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit records are deleted only by the retention purge")
