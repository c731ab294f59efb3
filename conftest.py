"""Test fixtures shared by every app: the fixed demo cast, with both regulations loaded."""

from __future__ import annotations

import pytest


@pytest.fixture
def cast(db):
    """Both seed regulations and the demo's organizations, contacts, agents and contracts."""
    from supportdesk.demo.cast import load_demo

    return load_demo()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "attachments"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
