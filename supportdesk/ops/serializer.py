"""The backup's serialization format, ``sdjsonl``: Django's JSON Lines keeping microseconds.

Django's JSON encoder cuts datetimes to milliseconds (ECMA-262), so a restored timeline would
differ from the original by up to a millisecond per instant; SLA times and event order are
computed from those instants, so the backup keeps them whole. Registered in
``SERIALIZATION_MODULES`` (config/settings.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class Serializer(jsonl.Serializer):
    def start_serialization(self) -> None:
        super().start_serialization()
        self.json_kwargs["cls"] = ExactJSONEncoder


Deserializer = jsonl.Deserializer
