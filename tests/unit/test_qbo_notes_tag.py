"""The credit tag in Customer.Notes: merged, never clobbering the person's notes; parsed back exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditbridge.adapters.quickbooks.notes_tag import CreditTag, TagTooLong, format_tag, merge_tag, parse_tag
from creditbridge.adapters.quickbooks.storage import Storage
from creditbridge.core.ports import ProfileValues

TAG = CreditTag(Decimal("50000.00"), "USD", True, date(2026, 11, 23))


def test_tag_reads_as_documented():
    assert format_tag(TAG) == "[creditbridge: limit=50000.00 USD; hold=yes; updated=2026-11-23]"


def test_tag_round_trips_exact_decimals():
    assert parse_tag(format_tag(TAG)) == TAG
    tiny = CreditTag(Decimal("0.01"), "USD", False)
    assert parse_tag("x " + format_tag(tiny) + " y") == tiny


def test_merge_keeps_the_persons_notes_around_the_tag():
    notes = "Call Amy before shipping.\n[creditbridge: limit=10.00 USD; hold=no]\nPrefers email."
    merged = merge_tag(notes, TAG)
    assert merged == "Call Amy before shipping.\n" + format_tag(TAG) + "\nPrefers email."


def test_merge_appends_when_there_is_no_tag_yet():
    assert merge_tag("Note added via Update operation.", TAG) == "Note added via Update operation.\n" + format_tag(TAG)
    assert merge_tag(None, TAG) == format_tag(TAG)


def test_no_limit_is_written_as_none():
    tag = CreditTag(None, None, False)
    assert format_tag(tag) == "[creditbridge: limit=none; hold=no]" and parse_tag(format_tag(tag)) == tag


def test_notes_too_long_refuse_rather_than_truncate():
    with pytest.raises(TagTooLong):
        merge_tag("x" * 1990, TAG)


def test_an_unreadable_tag_counts_as_no_profile():
    assert parse_tag("[creditbridge: limit=lots USD; hold=yes]") is None


def test_storage_mechanisms_write_only_their_field():
    wanted = ProfileValues(Decimal("7.50"), True, "USD")
    customer = {"Id": "1", "SyncToken": "3", "Notes": "keep", "Active": True}
    today = date(2026, 11, 23)
    assert Storage().sparse_fields(customer, wanted, today) == {
        "Notes": "keep\n[creditbridge: limit=7.50 USD; hold=yes; updated=2026-11-23]"
    }
    custom = Storage("custom_field", custom_field_id="540344").sparse_fields(customer, wanted, today)
    assert custom["CustomField"][0]["DefinitionId"] == "540344"
    stored = {**customer, "CustomField": custom["CustomField"]}
    assert Storage("custom_field", custom_field_id="540344").profile(stored).credit_limit.amount == Decimal("7.50")
    hold_only = ProfileValues(None, True, "USD")
    assert Storage("inactive").sparse_fields(customer, hold_only, today) == {"Active": False}
    assert Storage("inactive").profile({**customer, "Active": False}).on_hold
    with pytest.raises(ValueError):
        Storage("inactive").sparse_fields(customer, wanted, today)
