"""Mapping files as finance IT meets them: templates that pass, and mistakes reported at their line.

Every error is `FILE:LINE: field.path: message (hint)`, all of them in one pass, so a person can
fix a file without running the checker once per typo.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from creditbridge.core.model import DocType, OrderStatus
from creditbridge.mappings import (
    ERP_KINDS,
    ErpMapping,
    MappingError,
    QuickBooksMapping,
    SapMapping,
    TranslationError,
    check_mapping,
    load_mapping,
    mapping_json_schema,
    template_text,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "mappings" / "templates"


def write(tmp_path: Path, text: str, name: str = "mapping.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    return [str(issue) for issue in check_mapping(path)]


MINIMAL_FILES = "erp: files\nfields:\n  customers:\n    customer_id: customer_id\n    name: name\n"


# --- templates --------------------------------------------------------------------------------


@pytest.mark.parametrize("erp", ERP_KINDS)
def test_every_template_passes_the_checker(erp: str):
    mapping = load_mapping(TEMPLATES / f"{erp}.yaml")
    assert mapping.erp == erp
    assert mapping.source == TEMPLATES / f"{erp}.yaml"
    assert template_text(erp) == (TEMPLATES / f"{erp}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("erp", ERP_KINDS)
def test_templates_are_commented_line_by_line_for_finance_it(erp: str):
    lines = [line for line in template_text(erp).splitlines() if line.strip()]
    settings = [line for line in lines if not line.lstrip().startswith("#") and ":" in line]
    commented = [line for line in settings if "#" in line]
    assert len(commented) / len(settings) > 0.75, f"{erp}: only {len(commented)} of {len(settings)} lines explained"


def test_the_sap_template_gives_the_adapter_its_company_code_and_write_contract():
    from creditbridge.adapters.sap.settings import settings_from_mapping

    sap = load_mapping(TEMPLATES / "sap.yaml")
    assert isinstance(sap, SapMapping)
    settings = settings_from_mapping(sap)
    assert [(c.code, c.currency, c.credit_control_area) for c in settings.company_codes] == [("1000", "EUR", "1000")]
    assert settings.payment_terms["ZB30"] == 30 and settings.write_function == "Z_CREDITBRIDGE_SET_CREDIT"
    assert settings.doc_type("DG") is DocType.CREDIT_MEMO and settings.doc_type("DZ") is None
    assert sap.erp_field("credit_profiles", "credit_limit") == "KNKK.KLIMK"


def test_an_sap_field_the_adapter_does_not_read_is_refused(tmp_path: Path):
    text = (TEMPLATES / "sap.yaml").read_text().replace("credit_limit: KNKK.KLIMK", "credit_limit: KNKK.DBEKR")
    path = tmp_path / "sap.yaml"
    path.write_text(text)
    (issue,) = problems(path)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "credit_limit: KNKK.DBEKR" in row)
    assert issue.endswith(
        f":{line}: fields.credit_profiles.credit_limit: the SAP adapter reads credit_limit from "
        "CreditManagementAccount.CreditLimitAmount or KNKK.KLIMK, not KNKK.DBEKR "
        "(write the field the adapter reads, or leave the line out)"
    )


def test_the_oracle_template_writes_through_the_profile_api():
    oracle = load_mapping(TEMPLATES / "oracle.yaml")
    assert oracle.writeback.mechanism == "profile_amounts_api"
    assert oracle.erp_field("credit_profiles", "credit_limit") == "HZ_CUST_PROFILE_AMTS.OVERALL_CREDIT_LIMIT"
    assert oracle.doc_type("CB") is DocType.DEBIT_MEMO
    assert oracle.order_status("BOOKED") is OrderStatus.OPEN


# --- translations -----------------------------------------------------------------------------


def test_payment_terms_code_translates_to_days():
    qbo = load_mapping(TEMPLATES / "quickbooks.yaml")
    assert qbo.translate("payment_terms", "3") == 30
    assert qbo.payment_terms_days(3) == 30  # an ERP that hands the id over as a number


def test_an_unmapped_code_names_the_table_the_file_and_the_line_to_add(tmp_path: Path):
    path = write(tmp_path, MINIMAL_FILES + "translations:\n  payment_terms:\n    NET30: 30\n")
    mapping = load_mapping(path)
    with pytest.raises(TranslationError) as caught:
        mapping.translate("payment_terms", "NET45")
    message = str(caught.value)
    assert "'NET45'" in message and "translations.payment_terms" in message and str(path) in message
    assert "'NET30'" in message and "'NET45': <days>" in message
    assert (caught.value.table, caught.value.code) == ("payment_terms", "NET45")


def test_without_a_table_the_erp_must_already_use_our_codes(tmp_path: Path):
    mapping = load_mapping(write(tmp_path, MINIMAL_FILES))
    assert mapping.currency("USD") == "USD"
    assert mapping.payment_terms_days("30") == 30
    assert mapping.doc_type("CM") is DocType.CREDIT_MEMO
    assert mapping.on_hold(True) is True and mapping.on_hold("false") is False
    with pytest.raises(TranslationError, match=r"currency code 'US\$'.*has no translations.currencies"):
        mapping.currency("US$")
    with pytest.raises(TranslationError, match="document type 'RV'"):
        mapping.doc_type("RV")


def test_a_code_for_a_value_that_no_code_stands_for_is_an_error(tmp_path: Path):
    mapping = load_mapping(write(tmp_path, MINIMAL_FILES + "translations:\n  hold_flags:\n    'Y': true\n"))
    assert mapping.erp_code("hold_flags", True) == "Y"
    with pytest.raises(TranslationError, match="stands for 'false'"):
        mapping.erp_code("hold_flags", False)


# --- errors at their line -----------------------------------------------------------------------


def test_every_mistake_is_reported_at_once_with_its_line_and_a_hint(tmp_path: Path):
    path = write(
        tmp_path,
        """
        version: 1
        erp: sap
        scope:
          system: ecc
          company_code: 1000
          credit_control_area: "10000"
        fields:
          customers:
            customer_id: KNA1.KUNNR
            nmae: KNA1.NAME1
            currency: KNA1 WAERS
        translations:
          payment_terms:
            0001: 0
            NET30: thirty
          currencies:
            EU1: EURO
          hold_flags:
            X: yes
        writeback:
          mechanism: rfc_functon
        """,
    )
    f = str(path)
    assert problems(path) == [
        f"{f}:5: scope.company_code: must be text (put the value in quotes; unquoted digits and dates are read as "
        "numbers and dates)",
        f"{f}:6: scope.credit_control_area: must be 4 capital letters or digits, e.g. '1000'",
        f"{f}:8: fields.customers.name: name is missing (add `name:` under fields.customers)",
        f"{f}:10: fields.customers.nmae: unknown key 'nmae' (did you mean 'name'?; allowed here: customer_id, name, "
        "currency, parent_id, payment_terms_days, risk_class, tax_id, bank_accounts, active)",
        f"{f}:11: fields.customers.currency: not an ERP field name: use the ERP's field path, letters, digits and _ "
        "joined by . or -, e.g. KNKK.KLIMK or CurrencyRef.value",
        f"{f}:14: translations.payment_terms.0001: the code 0001 must be text (write it in quotes: '0001'; unquoted "
        "digits are read as a number and lose leading zeros)",
        f"{f}:15: translations.payment_terms.NET30: must be a whole number",
        f"{f}:17: translations.currencies.EU1: must be an ISO currency code: 3 capital letters, e.g. USD",
        f"{f}:19: translations.hold_flags.X: must be true or false",
        f"{f}:21: writeback.mechanism: must be 'rfc_function' or 'odata' (did you mean "
        "'rfc_function'?)",
    ]
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert len(caught.value.issues) == 10 and str(caught.value).count("\n") == 9


def test_checks_across_sections_are_reported_with_the_type_errors_of_other_sections(tmp_path: Path):
    path = write(
        tmp_path,
        """
        erp: sap
        scope:
          system: s4
          company_code: "1000"
        fields:
          customers:
            customer_id: KNA1.KUNNR
            name: 42
        writeback:
          mechanism: rfc_function
        """,
    )
    f = str(path)
    assert problems(path) == [
        f"{f}:2: scope.currency: scope.currency is missing (the company code's currency)",
        f"{f}:8: fields.customers.name: expected an ERP field name (text) or {{field: ..., default: ...}}, got int",
        f"{f}:9: writeback.credit_control_area: the credit control area is missing (set writeback.credit_control_area "
        "or scope.credit_control_area (KKBER, 4 characters))",
        f"{f}:9: writeback.function_module: rfc_function needs function_module (SAP has no released BAPI that "
        "writes KNKK: name your RFC-enabled wrapper, e.g. Z_CREDITBRIDGE_SET_CREDIT)",
        f"{f}:10: writeback.mechanism: rfc_function writes ECC credit accounts (KNKK) (on S/4HANA use "
        "mechanism: odata, or set scope.system: ecc)",
    ]


def test_quickbooks_writeback_settings_are_checked(tmp_path: Path):
    path = write(
        tmp_path,
        """
        erp: quickbooks
        fields:
          customers: {customer_id: Id, name: DisplayName}
        writeback:
          mechanism: custom_field
          custom_fieldid: "12"
        """,
    )
    f = str(path)
    assert problems(path) == [
        f"{f}:4: writeback.custom_field_id: mechanism custom_field needs custom_field_id (the DefinitionId of the "
        'String custom field on Customer, in quotes, e.g. "540344")',
        f"{f}:6: writeback.custom_fieldid: unknown key 'custom_fieldid' (did you mean 'custom_field_id'?; "
        "allowed here: mechanism, custom_field_id)",
    ]


def test_an_open_item_needs_a_due_date_or_terms(tmp_path: Path):
    items = "  open_items: {item_id: n, doc_type: t, customer_id: c, invoice_date: d, amount: a, open_amount: o}\n"
    path = write(tmp_path, MINIMAL_FILES + items)
    assert problems(path) == [
        f"{path}:6: fields.open_items: an open item needs a due date (map due_date, or baseline_date and "
        "payment_terms_days)"
    ]


def test_yaml_syntax_error_names_the_line(tmp_path: Path):
    path = write(tmp_path, "erp: files\nfields:\n  customers: [customer_id\n  name: x\n")
    [issue] = check_mapping(path)
    assert (issue.file, issue.line) == (str(path), 4)
    assert str(issue).startswith(f"{path}:4: YAML syntax: ")


def test_a_key_written_twice_is_reported_at_the_second(tmp_path: Path):
    path = write(tmp_path, MINIMAL_FILES + "    name: DisplayName\n")
    assert problems(path) == [
        f'{path}:6: YAML syntax: found duplicate key "name" (a key appears twice in the same block; keep one)'
    ]


def test_unknown_erp_suggests_the_closest(tmp_path: Path):
    path = write(tmp_path, "erp: quickbook\n")
    assert problems(path) == [f"{path}:1: erp: unknown ERP 'quickbook' (did you mean 'quickbooks'?)"]


def test_an_empty_file_or_a_list_is_not_a_mapping(tmp_path: Path):
    empty = write(tmp_path, "# nothing yet\n", "empty.yaml")
    listed = write(tmp_path, "- erp: files\n", "list.yaml")
    assert "must be a set of `key: value` lines" in problems(empty)[0]
    assert problems(listed)[0].startswith(f"{listed}:1: ")


def test_missing_file_large_file_and_non_utf8_are_clear(tmp_path: Path):
    assert problems(tmp_path / "nope.yaml") == [
        f"{tmp_path / 'nope.yaml'}: cannot read the mapping: No such file or directory"
    ]
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 1_000_001)
    assert "a mapping is at most 1,000,000" in problems(big)[0]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"erp: files\ndescription: caf\xe9\n")
    assert problems(latin) == [f"{latin}:2: the file is not UTF-8 text (save it as UTF-8)"]


def test_column_headers_of_a_ledger_export_may_have_spaces_but_erp_fields_may_not(tmp_path: Path):
    files = write(tmp_path, MINIMAL_FILES.replace("name: name", "name: Customer Name"), "files.yaml")
    assert load_mapping(files).erp_field("customers", "name") == "Customer Name"
    quoted = write(tmp_path, MINIMAL_FILES.replace("name: name", 'name: "x\'; DROP TABLE t;--"'), "evil.yaml")
    assert "fields.customers.name: must be a field name without quotes" in problems(quoted)[0]


def test_a_field_can_have_a_default(tmp_path: Path):
    path = write(tmp_path, MINIMAL_FILES + "    currency: {field: WAERS, default: EUR}\n")
    rule = load_mapping(path).field_rule("customers", "currency")
    assert rule is not None and (rule.field, rule.default) == ("WAERS", "EUR")
    empty = write(tmp_path, MINIMAL_FILES + "    currency: {}\n", "empty_rule.yaml")
    assert problems(empty) == [f"{empty}:6: fields.customers.currency: give `field: <ERP field>` or `default: <value>`"]


# --- the object the shell codes against ------------------------------------------------------------


def test_a_loaded_mapping_is_frozen(tmp_path: Path):
    mapping = load_mapping(write(tmp_path, MINIMAL_FILES))
    with pytest.raises(ValidationError):
        mapping.erp = "sap"  # type: ignore[misc]


def test_a_mapping_built_in_code_runs_the_same_checks():
    with pytest.raises(ValidationError, match="custom_field_id"):
        QuickBooksMapping.model_validate(
            {
                "erp": "quickbooks",
                "fields": {"customers": {"customer_id": "Id", "name": "DisplayName"}},
                "writeback": {"mechanism": "custom_field"},
            }
        )
    built = QuickBooksMapping.model_validate(
        {
            "erp": "quickbooks",
            "fields": {"customers": {"customer_id": "Id", "name": "DisplayName"}},
            "writeback": {"mechanism": "notes_tag"},
        }
    )
    assert isinstance(built, ErpMapping) and built.source is None
    with pytest.raises(TranslationError, match="the quickbooks mapping"):
        built.currency("dollars")


def test_json_schema_lets_editors_check_every_erp():
    schema = mapping_json_schema()
    assert schema["discriminator"]["propertyName"] == "erp"
    assert set(schema["discriminator"]["mapping"]) == set(ERP_KINDS)
    customer = schema["$defs"]["CustomerFields"]
    assert customer["additionalProperties"] is False and customer["required"] == ["customer_id", "name"]
    # `name: DisplayName` (shorthand) and `name: {field: ...}` are both valid in an editor
    assert {"type": "string"} in customer["properties"]["name"]["anyOf"]
    json.dumps(schema)  # serialisable as is
