from supportdesk.outbox.tokens import (
    message_id_for,
    outbox_id_from,
    reply_address_for,
    ticket_number_from,
)


def test_message_id_round_trip_and_forgery():
    assert outbox_id_from(message_id_for(17)) == 17
    assert outbox_id_from("<outbox-17@supportdesk>") is None
    assert outbox_id_from(message_id_for(17).replace("outbox-17", "outbox-18")) is None


def test_reply_address_round_trip_and_forgery():
    address = reply_address_for("SD-2026-000001", "support@vendor.example")
    assert address.startswith("support+SD-2026-000001.")
    assert ticket_number_from(address) == "SD-2026-000001"
    assert ticket_number_from(address.replace("000001", "000002")) is None
    assert ticket_number_from("support+SD-2026-000001@vendor.example") is None
    assert ticket_number_from("support@vendor.example") is None
