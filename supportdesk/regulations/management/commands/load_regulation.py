"""``supportdesk load_regulation 000|002|--all``: load the seed regulations (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supportdesk.regulations.models import Regulation
from supportdesk.regulations.presets import SEEDS, load_presets


class Command(BaseCommand):
    help = "Create or update seed regulations with their calendars, teams and products."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", metavar="CODE", help=", ".join(SEEDS))
        parser.add_argument("--all", action="store_true", help="Load every seed regulation.")

    def handle(self, *args, codes: list[str], **options) -> None:
        if options["all"]:
            codes = list(SEEDS)
        if not codes:
            raise CommandError(_("Name a regulation (%(codes)s) or use --all.") % _codes())
        unknown = [code for code in codes if code not in SEEDS]
        if unknown:
            raise CommandError(
                _("Unknown regulation %(unknown)s. Available: %(codes)s.")
                % {"unknown": ", ".join(unknown), **_codes()}
            )
        for regulation in load_presets(codes).values():
            self.stdout.write(_summary(regulation))


def _codes() -> dict[str, str]:
    return {"codes": ", ".join(SEEDS)}


def _summary(regulation: Regulation) -> str:
    return _(
        "Loaded regulation %(code)s «%(name)s»: levels %(levels)d, channel rules %(channels)d, "
        "hotline numbers %(hotlines)d, required fields %(fields)d, priorities %(priorities)d, "
        "SLA targets %(sla)d, work methods %(methods)d, diagnostics items %(diagnostics)d."
    ) % {
        "code": regulation.code,
        "name": regulation.name,
        "levels": regulation.levels.count(),
        "channels": regulation.channels.count(),
        "hotlines": regulation.hotlines.count(),
        "fields": regulation.required_fields.count(),
        "priorities": regulation.priorities.count(),
        "sla": regulation.sla_targets.count(),
        "methods": regulation.work_methods.count(),
        "diagnostics": regulation.diagnostics_items.count(),
    }
