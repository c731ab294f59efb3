"""Writing audit records, and the retention purge. The lowest layer: anything may record."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone

from supportdesk.audit.context import current_actor
from supportdesk.audit.models import AuditRecord

Action = AuditRecord.Action


def _is_agent(user: Any) -> bool:
    try:
        return user is not None and user.is_authenticated and user.agent is not None
    except (ObjectDoesNotExist, AttributeError):
        return False


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    detail: str = "",
    actor_email: str = "",
) -> AuditRecord:
    """Write one record. The actor defaults to the user of the current request (if any)."""
    context = current_actor()
    actor = actor if actor is not None else context.user
    return AuditRecord.objects.create(
        action=action,
        actor_id=actor.pk if actor is not None else None,
        actor_email=(getattr(actor, "email", "") if actor is not None else actor_email)[:254],
        ip=context.ip,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        changes=changes or {},
        detail=detail[:300],
    )


def record_download(user: Any, attachment: models.Model) -> None:
    """An agent downloaded a file (customers' downloads of their own files are not recorded)."""
    if _is_agent(user):
        record(Action.DOWNLOAD, actor=user, target=attachment)


def record_export(user: Any, *, what: str, count: int) -> None:
    """Someone (an agent, an organization's administrator) downloaded an export: ``what`` is
    its file name, ``count`` the rows it held."""
    record(Action.EXPORT, actor=user, detail=f"{what}: {count}")


def purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the records older than AUDIT_RETENTION_DAYS; returns how many went."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    return AuditRecord.objects.all().purge_before(cutoff)
