"""Every action test runs at a fixed instant (a Monday, 12:30 Moscow) and in English."""

import pytest
import time_machine
from django.utils import translation

from supportdesk.tickets.tests.helpers import NOW


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield
