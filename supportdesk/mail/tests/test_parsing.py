"""Reading hostile bytes: charsets, file names, headers that must not inject, automatic mail."""

from __future__ import annotations

from supportdesk.mail.content import split_quoted
from supportdesk.mail.parsing import parse_message
from supportdesk.mail.tests.corpus import file_part, multipart, plain, text_part


def test_every_charset_is_decoded_and_bad_bytes_become_replacement_characters():
    assert (
        parse_message(plain("备份失败", charset="gb18030", message_id="<a@b>")).text == "备份失败"
    )
    japanese = parse_message(plain("バックアップ", charset="iso-2022-jp", message_id="<a@b>"))
    assert japanese.text == "バックアップ"
    broken = parse_message(plain(b"ok \xff\xfe end", charset="x-unknown", message_id="<a@b>"))
    assert broken.text == "ok \ufffd\ufffd end"


def test_file_names_rfc2231_and_encoded_words_are_decoded_and_made_one_line():
    raw = multipart(
        [
            text_part("files"),
            file_part("filename*=UTF-8''%D0%BB%D0%BE%D0%B3.txt", b"one"),
            file_part('filename="=?utf-8?b?0YTQsNC50LsudHh0?="', b"two"),
        ],
        message_id="<f@b>",
    )

    mail = parse_message(raw)

    assert [(f.name, f.data) for f in mail.files] == [("лог.txt", b"one"), ("файл.txt", b"two")]


def test_an_encoded_line_break_in_the_subject_stays_one_line():
    raw = plain("x", subject="=?utf-8?b?SGkNCkJjYzogdkBleGFtcGxlLmNvbQ==?=", message_id="<s@b>")

    mail = parse_message(raw)

    assert mail.subject == "Hi Bcc: v@example.com"


def test_bidi_and_zero_width_characters_leave_the_subject():
    mail = parse_message(plain("x", subject="Net\u200bBackup \u202efails", message_id="<z@b>"))

    assert mail.subject == "Net Backup fails"


def test_auto_submitted_no_is_a_person_and_anything_else_automatic():
    person = parse_message(plain("x", message_id="<p@b>", extra="Auto-Submitted: no\r\n"))
    robot = parse_message(plain("x", message_id="<r@b>", extra="Auto-Submitted: auto-notified\r\n"))

    assert person.automatic == ""
    assert robot.automatic == "Auto-Submitted: auto-notified"


def test_quoted_history_and_signature_are_folded():
    text = "Thanks, it works.\n\n-- \nIvan\n\nOn Monday support wrote:\n> try again"

    assert split_quoted(text) == ("Thanks, it works.", 5)
    assert split_quoted("> only a quote") == ("> only a quote", 0)
