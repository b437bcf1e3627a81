"""The credit-application form: its fields, the plain dict it becomes, and every bad field named.

The form's field names are the dotted paths of the application file (`financials.ebit`,
`trade_references[1].high_credit`), so the dict it becomes is what `creditbridge credit apply FILE`
reads from a JSON file, and `parse_application`'s errors name a field of the form. The parser stops
at the first bad field; `field_errors` asks it again with that field set to a harmless value until
it passes, so a person sees every bad field at once — the rules stay the parser's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from creditbridge.core.credit.altman import APPLICANT_TYPES
from creditbridge.core.credit.application import FINANCIAL_FIELDS, ApplicationError, parse_application

TRADE_REFERENCE_ROWS = 3
TRADE_REFERENCE_FIELDS = ("name", "high_credit", "terms_days", "days_beyond_terms")
OPTIONAL_FINANCIALS = ("market_value_equity", "intangible_assets")
CURRENCY_FIELD = "requested_limit.currency"
"""One currency on the form, for the requested limit and the financials (the file has both; they must agree)."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "amount"
    """amount, whole, text, date, currency or type: how the input is drawn."""
    required: bool = True


APPLICANT = (
    Field("applicant.name", "Applicant name", "text"),
    Field("applicant.customer_id", "Existing customer id", "text", required=False),
    Field("applicant.type", "Type", "type"),
    Field("applicant.years_in_business", "Years in business", "whole"),
    Field("requested_limit.amount", "Requested limit"),
    Field(CURRENCY_FIELD, "Currency", "currency"),
    Field("bureau_score", "Bureau score", "whole", required=False),
)
FINANCIALS = (
    Field("financials.period_end", "Period end", "date"),
    *(Field(f"financials.{name}", name.replace("_", " ").capitalize().replace("Ebit", "EBIT"))
      for name in FINANCIAL_FIELDS),
    Field("financials.market_value_equity", "Market value of equity (public)", required=False),
    Field("financials.intangible_assets", "Intangible assets", required=False),
)  # fmt: skip
APPLICANT_TYPE_LABELS = {t: t.replace("_", " ") for t in APPLICANT_TYPES}


def reference_field(row: int, name: str) -> str:
    return f"trade_references[{row}].{name}"


def application_data(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form as the application file's dict: text as typed (trimmed), blank optional fields left out."""

    def value(name: str) -> str | None:
        text = str(form.get(name) or "").strip()
        return text or None

    applicant = {name: value(f"applicant.{name}") for name in ("name", "customer_id", "type", "years_in_business")}
    currency = value(CURRENCY_FIELD)
    financials: dict[str, Any] = {"currency": currency, "period_end": value("financials.period_end")}
    for name in FINANCIAL_FIELDS:
        financials[name] = value(f"financials.{name}")
    for name in OPTIONAL_FINANCIALS:
        if (given := value(f"financials.{name}")) is not None:
            financials[name] = given
    references = []
    for row in range(TRADE_REFERENCE_ROWS):
        ref = {name: value(reference_field(row, name)) for name in TRADE_REFERENCE_FIELDS}
        if any(v is not None for v in ref.values()):
            references.append(ref)
    data: dict[str, Any] = {"applicant": applicant,
                            "requested_limit": {"amount": value("requested_limit.amount"), "currency": currency},
                            "financials": financials}  # fmt: skip
    if references:
        data["trade_references"] = references
    if (bureau := value("bureau_score")) is not None:
        data["bureau_score"] = bureau
    return data


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The application dict back as form values (to show the form filled in again)."""
    values: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), child)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(f"{prefix}[{i}]", child)
        elif node is not None:
            values[prefix] = str(node)

    walk("", data)
    values.pop("financials.currency", None)
    return values


def field_errors(data: Mapping[str, Any], max_fields: int = 40) -> dict[str, str]:
    """Every field `parse_application` refuses, with its message (empty when the application parses)."""
    trial = form_values(data)
    errors: dict[str, str] = {}
    for _ in range(max_fields):
        try:
            parse_application(application_data(trial))
        except ApplicationError as exc:
            field = CURRENCY_FIELD if exc.field == "financials.currency" else exc.field
            if field in errors or not _stand_in(trial, field):
                errors.setdefault(field or "application", error_message(exc))
                break
            errors[field] = error_message(exc)
        else:
            break
    return errors


def error_message(exc: ApplicationError) -> str:
    """The parser's message without the field name in front (the page shows the field beside it)."""
    text = str(exc)
    return text[len(exc.field) + 2 :] if exc.field and text.startswith(f"{exc.field}: ") else text


_WHOLE = re.compile(r"(years_in_business|terms_days|days_beyond_terms|bureau_score)$")


def _stand_in(trial: dict[str, str], field: str) -> bool:
    """Put a value the parser accepts in `field` (to look for the next bad one); False for a field it cannot."""
    if field == "applicant.customer_id":
        trial.pop(field, None)
    elif field == "applicant.type":
        trial[field] = "non_manufacturer"
    elif field == CURRENCY_FIELD:
        trial[field] = "USD"
    elif field == "financials.period_end":
        trial[field] = "2000-01-31"
    elif field.endswith(".name"):
        trial[field] = "x"
    elif _WHOLE.search(field):
        trial[field] = "0"
    elif field.startswith(("financials.", "requested_limit.", "trade_references[")):
        trial[field] = "1"
    else:
        return False
    return True
