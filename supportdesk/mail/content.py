"""The text of an incoming message: HTML made safe, HTML read as text, quoted history folded."""

from __future__ import annotations

import html as html_lib
import re

import nh3

# Bounds: a message with tens of thousands of links must not take the sanitizer down.
MAX_HTML_CHARS = 1_000_000
MAX_TEXT_CHARS = 200_000
# No images at all: an <img> pointing at an internal address would be fetched by the viewer.
SAFE_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "map", "area"}
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan"}}
DROPPED_WITH_CONTENT = {"script", "style", "title", "head"}

# The first line of quoted history or of a signature: everything from it on is folded.
QUOTE_START = re.compile(
    r"^(?:>"
    r"|-- ?$"
    r"|_{5,}\s*$"
    r"|-{3,}\s*(?:Original Message|Исходное сообщение|Forwarded message|Пересылаемое сообщение)"
    r"|On .{1,200} wrote:\s*$"
    r"|.{1,200}(?:пишет|написал|написала)\s*:\s*$"
    r"|(?:From|От|Von):\s.+$"
    r")",
    re.IGNORECASE,
)
BLOCK_END = re.compile(r"</(?:p|div|tr|li|h[1-6]|blockquote|table)>|<br\s*/?>", re.IGNORECASE)


def sanitize_html(value: str) -> str:
    """An allow-list sanitized copy (nh3): no scripts, handlers, styles, images or forms; links
    only to http(s) and mailto. Shown only inside a sandboxed frame."""
    return nh3.clean(
        value[:MAX_HTML_CHARS],
        tags=SAFE_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=SAFE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
    )


def html_to_text(value: str) -> str:
    """The words of an HTML body, one block per line."""
    marked = BLOCK_END.sub("\n", value[:MAX_HTML_CHARS])
    text = html_lib.unescape(nh3.clean(marked, tags=set(), clean_content_tags=DROPPED_WITH_CONTENT))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:MAX_TEXT_CHARS]


def split_quoted(text: str) -> tuple[str, int]:
    """(what the sender wrote, the number of lines folded away): quoted history and the
    signature go. A message that is all quote keeps its whole text."""
    text = text[:MAX_TEXT_CHARS]
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index > 0 and QUOTE_START.match(line.strip()):
            visible = "\n".join(lines[:index]).strip()
            if visible:
                return visible, len(lines) - index
            break
    return text.strip(), 0
