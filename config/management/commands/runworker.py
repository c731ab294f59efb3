"""``supportdesk runworker``: the periodic jobs without Celery, for the embedded install."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from config.runner import run_periodic


class Command(BaseCommand):
    help = "Run the periodic jobs of config/celery.py in this process, without Celery."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")

    def handle(self, *args, once: bool = False, **options):
        stop_event = threading.Event()

        def stop(signum, frame):
            # The job in progress finishes; the loop exits before the next one.
            stop_event.set()

        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, stop)
        try:
            failures = run_periodic(stop_event=stop_event, once=once)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        failed = sorted(name for name, count in failures.items() if count)
        if once and failed:
            raise CommandError(_("Jobs failed: %(jobs)s") % {"jobs": ", ".join(failed)})
