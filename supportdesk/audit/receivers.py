"""Receivers that write audit records: changes to regulations, contracts, users, roles and
tokens (whoever saves them: the admin, a service, a command), sign-ins and sign-in failures.

A model's values are remembered when it is loaded (post_init), so a save records exactly the
fields it changed, without another query. Secret fields are recorded by name only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from supportdesk.audit.services import Action, record

# Whole apps, and single models, whose changes are recorded (model labels, lower case).
AUDITED_APPS = frozenset({"regulations", "contracts"})
AUDITED_MODELS = frozenset(
    {"accounts.user", "accounts.agent", "accounts.contact", "api.apitoken", "mfa.authenticator"}
)
# Bookkeeping that changes on every use: not a change anybody made.
IGNORED_FIELDS = frozenset({"last_login", "last_used_at"})
# Recorded as "changed", never with their values.
SECRET_FIELDS = frozenset({"password", "token_hash", "data", "secret"})
SNAPSHOT = "_audit_snapshot"


def audited(model: type[models.Model]) -> bool:
    meta = model._meta
    return meta.app_label in AUDITED_APPS or meta.label_lower in AUDITED_MODELS


def _values(instance: models.Model) -> dict[str, Any]:
    # Only loaded values: reading a deferred field would cost a query.
    loaded = instance.__dict__
    return {
        field.attname: loaded[field.attname]
        for field in instance._meta.concrete_fields
        if field.attname in loaded and field.attname not in IGNORED_FIELDS and not field.primary_key
    }


def _shown(name: str, value: Any) -> Any:
    if name in SECRET_FIELDS:
        return "…" if value else value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@receiver(post_init)
def remember(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if audited(sender):
        instance.__dict__[SNAPSHOT] = _values(instance)


@receiver(post_save)
def saved(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw or not audited(sender):
        return
    before = {} if created else instance.__dict__.get(SNAPSHOT, {})
    after = _values(instance)
    changes = {
        name: [_shown(name, before.get(name)), _shown(name, value)]
        for name, value in after.items()
        if created or (name in before and before[name] != value)
    }
    instance.__dict__[SNAPSHOT] = after
    if changes or created:
        record(Action.CREATE if created else Action.CHANGE, target=instance, changes=changes)


@receiver(post_delete)
def deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if audited(sender):
        record(Action.DELETE, target=instance)


@receiver(user_logged_in)
def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(Action.LOGIN, actor=user)


@receiver(user_logged_out)
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(Action.LOGOUT, actor=user)


@receiver(user_login_failed)
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The address as typed (known or not); the password is never in ``credentials`` here
    # (Django masks it) and never recorded.
    typed = str(credentials.get("email") or credentials.get("username") or "")
    record(Action.LOGIN_FAILED, actor_email=typed, detail=typed)
