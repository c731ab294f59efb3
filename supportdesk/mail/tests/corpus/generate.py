"""Write the hostile corpus as .eml files: ``python -m supportdesk.mail.tests.corpus.generate DIR``.

The threading tokens are those of a made-up ticket (SD-2026-000001, outbox row 1) under the
current SECRET_KEY; pipe the files into ``supportdesk intake_mail`` to watch each outcome.
"""

from __future__ import annotations

import sys
from pathlib import Path

import django


def main() -> None:
    django.setup()
    from django.conf import settings

    from supportdesk.mail.tests.corpus import Threads, build_corpus
    from supportdesk.outbox.tokens import message_id_for, reply_address_for

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "mail-corpus")
    target.mkdir(parents=True, exist_ok=True)
    threads = Threads(
        message_id_000=message_id_for(1),
        reply_to_000=reply_address_for("SD-2026-000001", "support@localhost"),
        number_000="SD-2026-000001",
        message_id_002=message_id_for(2),
        number_002="SD-2026-000002",
    )
    corpus = build_corpus(threads, oversized_bytes=settings.MAIL_MAX_MESSAGE_BYTES + 1)
    for index, (name, raw, _expected) in enumerate(corpus, start=1):
        (target / f"{index:03d}-{name}.eml").write_bytes(raw)
    print(f"{len(corpus)} messages written to {target}")


if __name__ == "__main__":
    main()
