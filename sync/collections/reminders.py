"""Reminders rendered from Jinja2 templates: the e-mail (text and HTML) and the PDF letter.

Why StrictUndefined and a sample render at `check` time: a misspelt `{{ custmer.name }}` would
otherwise print nothing in a reminder sent to hundreds of customers. `check_templates` renders
every template the policy names against a sample context with every variable a real send has,
so an unknown variable fails before anything is sent.

Templates per policy level `<name>`: `<name>.subject.txt` and `<name>.body.txt` (paragraphs
separated by blank lines); the layouts `email.txt` and `email.html` wrap the body with the item
table and the signature; the letter is laid out here (fpdf2) from the same body. A folder given
as `[collections] templates` overrides any of these files by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from creditbridge.core.collections import DunningMessage, DunningPolicy
from creditbridge.core.model import Customer, DocType, OpenItem
from creditbridge.core.money import Money
from creditbridge.sync.collections.contacts import Contact
from creditbridge.sync.config import CollectionsConfig

ACCENTS = {1: "#1f5fbf", 2: "#c27c0e", 3: "#b42318", 4: "#b42318"}


class TemplateError(ValueError):
    """A template cannot be rendered: which file, and why."""


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def environment(folder: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if folder is not None:
        loaders.append(jinja2.FileSystemLoader(str(folder)))
    loaders.append(jinja2.PackageLoader("creditbridge.sync.collections", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        keep_trailing_newline=True,
    )


def money_text(amount: Decimal, currency: str) -> str:
    return f"{Money(amount, currency).quantize().amount:,}"


def context(
    message: DunningMessage,
    customer: Customer | None,
    contact: Contact | None,
    items: Mapping[str, OpenItem],
    settings: CollectionsConfig,
    policy: DunningPolicy,
    as_of: date,
    reference: str,
) -> dict[str, Any]:
    """Every variable a reminder template may use (the same keys `sample_context` has)."""
    schedule = policy.schedule
    level = schedule.level(message.level)
    rows = []
    for planned in message.items:
        item = items.get(planned.item_id)
        rows.append(
            {
                "invoice_number": planned.item_id,
                "invoice_date": item.invoice_date.isoformat() if item else "",
                "due_date": planned.due_date.isoformat(),
                "days_past_due": planned.days_past_due,
                "open_amount": money_text(planned.open_amount, planned.currency),
                "currency": planned.currency,
                "level": planned.level,
            }
        )
    totals = [{"currency": c, "amount": money_text(a, c)} for c, a in sorted(message.totals().items())]
    return {
        "company": {
            "name": settings.company_name,
            "address_lines": [x.strip() for x in settings.company_address.split("|") if x.strip()],
            "email": settings.reply_to or settings.from_address,
            "phone": settings.phone or "",
        },
        "collector": settings.collector or "Accounts Receivable",
        "customer": {
            "id": message.customer_id,
            "name": customer.name if customer else message.customer_id,
            "email": (contact.email if contact else None) or "",
            "phone": (contact.phone if contact else None) or "",
            "address_lines": contact.address_lines if contact else [],
        },
        "level": message.level,
        "level_name": level.name if level else "reminder",
        "as_of": as_of.isoformat(),
        "items": rows,
        "totals": totals,
        "total": " and ".join(f"{t['amount']} {t['currency']}" for t in totals),
        "reference": reference,
        "accent": ACCENTS.get(message.level, "#1f5fbf"),
    }


def sample_context(settings: CollectionsConfig) -> dict[str, Any]:
    """A context with every variable filled, for `collections check` and previews."""
    from creditbridge.core.collections import PlannedItem, default_policy

    items = (
        PlannedItem("INV-10231", 38, 3, Decimal("1250.00"), "USD", date(2026, 10, 26)),
        PlannedItem("INV-10388", 12, 1, Decimal("310.40"), "USD", date(2026, 11, 21)),
    )
    message = DunningMessage("C10001", 3, "email+letter", items, "final_notice")
    customer = Customer("C10001", "Acme Industrial Supply Ltd", "USD")
    contact = Contact(
        "C10001", "ap@acme.example", "+1 555 0100", "Attn. Accounts Payable|12 Harbour Road|Springfield, IL 62701"
    )
    open_items = {
        i.item_id: OpenItem(
            i.item_id,
            DocType.INVOICE,
            "C10001",
            i.due_date - timedelta(days=30),
            i.due_date,
            Money(i.open_amount, "USD"),
            Money(i.open_amount, "USD"),
        )
        for i in items
    }
    return context(message, customer, contact, open_items, settings, default_policy(), date(2026, 12, 3), "SAMPLE-1")


def _render(env: jinja2.Environment, name: str, values: Mapping[str, Any]) -> str:
    try:
        return env.get_template(name).render(values)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"{name}: no such template") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{name}: {exc.message} (unknown variable)") from None


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.strip().split("\n\n") if p.strip()]


def render_email(env: jinja2.Environment, template: str, values: Mapping[str, Any]) -> RenderedEmail:
    subject = " ".join(_render(env, f"{template}.subject.txt", values).split())
    body = paragraphs(_render(env, f"{template}.body.txt", values))
    full = {**values, "paragraphs": body, "subject": subject}
    return RenderedEmail(subject, _render(env, "email.txt", full), _render(env, "email.html", full))


def render_body(env: jinja2.Environment, template: str, values: Mapping[str, Any]) -> tuple[str, list[str]]:
    subject = " ".join(_render(env, f"{template}.subject.txt", values).split())
    return subject, paragraphs(_render(env, f"{template}.body.txt", values))


def check_templates(folder: Path | None, policy: DunningPolicy, settings: CollectionsConfig) -> list[str]:
    """Every problem of the templates the policy names, rendered against the sample context."""
    env = environment(folder)
    values = sample_context(settings)
    problems: list[str] = []
    names: set[tuple[str, bool]] = {("call", False)}  # every call task, also one replacing an e-mail
    for schedule in (policy.schedule, *policy.segments.values()):
        for level in schedule.levels:
            names.add((level.template, any(c.value in ("email", "letter") for c in level.channels)))
    for name, mailed in sorted(names):
        try:
            if mailed:
                render_email(env, name, values)
                subject, body = render_body(env, name, values)
                render_letter(subject, body, values)
            else:
                render_body(env, name, values)
        except TemplateError as exc:
            problems.append(str(exc))
    return problems


def render_letter(subject: str, body: list[str], values: Mapping[str, Any]) -> bytes:
    """A one-page (or more) A4 letter: letterhead, address window, date, subject, body, item table."""
    from fpdf import FPDF

    class Letter(FPDF):
        def footer(self) -> None:
            if self.pages_count > 1:
                self.set_y(-14)
                self.set_font("Helvetica", "", 8)
                self.set_text_color(120, 128, 140)
                self.cell(0, 5, f"{_latin(values['reference'])} | page {self.page_no()} of {{nb}}", align="R")
                self.set_text_color(31, 41, 51)

    pdf = Letter(format="A4", unit="mm")
    pdf.set_margins(22, 18, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    company = values["company"]
    customer = values["customer"]

    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(width, 7, _latin(company["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    pdf.set_text_color(90, 96, 109)
    head = " · ".join([*company["address_lines"], company["phone"], company["email"]])
    pdf.cell(width, 5, _latin(" | ".join(x for x in head.split(" · ") if x)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(180, 35, 24) if values["level"] >= 3 else pdf.set_draw_color(31, 95, 191)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.set_text_color(31, 41, 51)

    pdf.set_xy(pdf.l_margin, 50)  # address window (DIN 5008 / US #10 window, left)
    pdf.set_font("Helvetica", "", 10.5)
    for line in [customer["name"], *customer["address_lines"]]:
        pdf.cell(85, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.w - pdf.r_margin - 60, 50)
    pdf.set_font("Helvetica", "", 9.5)
    pdf.multi_cell(
        60,
        5,
        _latin(f"Date: {values['as_of']}\nCustomer: {customer['id']}\nReference: {values['reference']}"),
        align="R",
    )

    pdf.set_xy(pdf.l_margin, 92)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(width, 6, _latin(subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 10.5)
    for paragraph in body:
        pdf.multi_cell(width, 5.2, _latin(paragraph), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)

    pdf.ln(1)
    pdf.set_draw_color(203, 210, 217)
    pdf.set_line_width(0.2)
    widths = (38, 30, 30, 30, width - 128)
    heads = ("Invoice", "Invoice date", "Due date", "Days overdue", "Amount due")

    def table_head() -> None:
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.set_fill_color(240, 242, 245)
        for w, h in zip(widths, heads, strict=True):
            pdf.cell(w, 7, h, border="B", fill=True, align="R" if h in ("Days overdue", "Amount due") else "L")
        pdf.ln()
        pdf.set_font("Helvetica", "", 9.5)

    table_head()
    for item in values["items"]:
        if pdf.get_y() + 6.5 > pdf.page_break_trigger:  # a new page repeats the table's header
            pdf.add_page()
            table_head()
        cells = (
            item["invoice_number"],
            item["invoice_date"],
            item["due_date"],
            str(item["days_past_due"]),
            f"{item['open_amount']} {item['currency']}",
        )
        for w, text, h in zip(widths, cells, heads, strict=True):
            pdf.cell(w, 6.5, _latin(text), border="B", align="R" if h in ("Days overdue", "Amount due") else "L")
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    for n, total in enumerate(values["totals"]):
        pdf.cell(sum(widths[:4]), 7, "Total overdue" if n == 0 else "")
        pdf.cell(widths[4], 7, _latin(f"{total['amount']} {total['currency']}"), align="R")
        pdf.ln()

    pdf.ln(8)
    pdf.set_font("Helvetica", "", 10.5)
    pdf.multi_cell(width, 5.2, _latin(f"Kind regards,\n\n{values['collector']}\n{company['name']}"))
    return bytes(pdf.output())


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: replace what they cannot show (·, —, “”) instead of failing."""
    table = str.maketrans({"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "·": "|", "…": "..."})
    return text.translate(table).encode("latin-1", "replace").decode("latin-1")
