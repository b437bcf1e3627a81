"""Reminder rendering: what a customer reads in the e-mail (text and HTML) and the PDF letter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from creditbridge.core.collections import default_policy
from creditbridge.sync.collections.reminders import (
    check_templates,
    environment,
    render_body,
    render_email,
    render_letter,
    sample_context,
)
from creditbridge.sync.config import CollectionsConfig

SETTINGS = CollectionsConfig(company_name="Northwind", from_address="ar@northwind.example", phone="+1 614 555 0142")


def test_the_email_lists_every_item_and_the_total_in_text_and_html() -> None:
    values = sample_context(SETTINGS)
    mail = render_email(environment(None), "final_notice", values)
    assert mail.subject == "Final notice from Northwind: 1,560.40 USD overdue"
    for text in (mail.text, mail.html):
        assert "INV-10231" in text and "INV-10388" in text and "1,560.40 USD" in text and "+1 614 555 0142" in text
    assert "{{" not in mail.text and "{{" not in mail.html


def test_a_customer_name_with_markup_is_escaped_in_the_html_email() -> None:
    values = sample_context(SETTINGS)
    values["customer"] = {**values["customer"], "name": "<b>Evil</b> & Co"}
    mail = render_email(environment(None), "reminder", values)
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in mail.html and "<b>Evil</b>" not in mail.html
    assert "Dear <b>Evil</b> & Co," in mail.text


def test_an_unknown_variable_in_a_template_is_found_by_check(tmp_path: Path) -> None:
    (tmp_path / "reminder.subject.txt").write_text("Reminder for {{ customer.nmae }}\n")
    problems = check_templates(tmp_path, default_policy(), SETTINGS)
    assert problems == ["reminder.subject.txt: 'dict object' has no attribute 'nmae' (unknown variable)"]
    assert check_templates(None, default_policy(), SETTINGS) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_a_long_letter_repeats_the_table_header_and_numbers_its_pages(tmp_path: Path) -> None:
    values = sample_context(SETTINGS)
    values["items"] = [
        {"invoice_number": f"INV-{10000 + i}", "invoice_date": "2026-06-01", "due_date": "2026-07-01",
         "days_past_due": 90 + i, "open_amount": "1,000.00", "currency": "USD", "level": 3}
        for i in range(40)
    ]  # fmt: skip
    subject, body = render_body(environment(None), "final_notice", values)
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(subject, body, values))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == 2
    assert all("Invoice date" in p for p in pages if p.strip())
    assert "page 2 of 2" in pages[1] and "INV-10039" in pages[1] and "Acme Industrial Supply Ltd" in pages[0]
