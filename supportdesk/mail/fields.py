"""What a new request by e-mail carries: identification and product read from labelled lines
("Support ID: SYM-100200", "Версия: 10.4") of the subject and the body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportdesk.catalog.models import Product, ProductLine

# field → the labels a customer writes, in Russian or English.
LABELS: dict[str, tuple[str, ...]] = {
    "support_contact_id": ("support contact id", "support contact", "sc id"),
    "support_id": ("support id", "номер контракта", "контракт"),
    "license_key": ("license key", "licence key", "лицензионный ключ", "ключ"),
    "product": ("product", "продукт"),
    "version": ("product version", "version", "версия продукта", "версия"),
    "os_version": ("operating system", "os version", "os", "операционная система", "ос"),
    "service_pack": ("service packs", "service pack", "пакеты обновления", "пакет обновления"),
    "priority_code": ("priority", "приоритет"),
}
LINE = re.compile(r"^[ \t*>-]*([^\n:=]{1,40}?)[ \t]*[:=][ \t]*(\S[^\n]{0,199})$", re.MULTILINE)
TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$")


@dataclass(frozen=True)
class Identification:
    support_id: str = ""
    support_contact_id: str = ""
    license_key: str = ""
    product: Product | None = None
    version: str = ""
    os_version: str = ""
    service_pack: str = ""
    priority_code: str = ""


def _labelled(text: str) -> dict[str, str]:
    label_of = {label: name for name, labels in LABELS.items() for label in labels}
    found: dict[str, str] = {}
    for match in LINE.finditer(text[:20_000]):
        name = label_of.get(" ".join(match.group(1).lower().split()))
        if name and name not in found:
            found[name] = match.group(2).strip()
    return found


def _product(value: str, text: str, line: ProductLine | None) -> Product | None:
    products = Product.objects.select_related("line")
    if line is not None:
        products = products.filter(line=line)
    candidates = list(products)
    wanted = value.lower()
    if wanted:
        for product in candidates:
            if wanted in (product.code.lower(), product.name.lower()):
                return product
    lowered = text.lower()
    named = [p for p in candidates if p.name.lower() in lowered or p.code.lower() in lowered]
    if len(named) == 1:
        return named[0]
    # A mailbox of a line with a single product: that product.
    if line is not None and len(candidates) == 1:
        return candidates[0]
    return None


def _token(value: str) -> str:
    value = value.split()[0] if value.split() else ""
    return value if TOKEN.match(value) else ""


def read_identification(subject: str, text: str, line: ProductLine | None) -> Identification:
    """The identification fields found in the message; a field not found stays empty."""
    whole = f"{subject}\n{text}"
    found = _labelled(whole)
    return Identification(
        support_id=_token(found.get("support_id", "")),
        support_contact_id=_token(found.get("support_contact_id", "")),
        license_key=_token(found.get("license_key", "")),
        product=_product(found.get("product", ""), whole, line),
        version=found.get("version", "")[:60],
        os_version=found.get("os_version", "")[:100],
        service_pack=found.get("service_pack", "")[:100],
        priority_code=_token(found.get("priority_code", "")).lower()[:20],
    )
