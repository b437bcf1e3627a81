"""Finance-IT-editable mapping files: which ERP field is which core field, code tables, write-back.

`load_mapping(path)` reads mappings/<erp>.yaml into a frozen, checked `ErpMapping` or raises
`MappingError` listing every problem as `FILE:LINE: field.path: message (hint)`. Templates for
each ERP, commented line by line, are in mappings/templates/ (`template_text(erp)`).
"""

from importlib import resources

from creditbridge.mappings.loader import (
    MappingError,
    MappingIssue,
    check_mapping,
    load_mapping,
    mapping_json_schema,
    mapping_json_schema_text,
    parse_mapping,
)
from creditbridge.mappings.schema import (
    ERP_KINDS,
    ErpKind,
    ErpMapping,
    FieldRule,
    FilesMapping,
    MemoryMapping,
    OracleMapping,
    QuickBooksMapping,
    SapMapping,
)
from creditbridge.mappings.translation import TranslationError


def template_text(erp: str) -> str:
    """The commented template mapping for `erp` (quickbooks, sap, oracle, files or memory)."""
    if erp not in ERP_KINDS:
        raise ValueError(f"no mapping template for {erp!r}; the ERPs are {', '.join(ERP_KINDS)}")
    return resources.files("creditbridge.mappings").joinpath("templates", f"{erp}.yaml").read_text("utf-8")


__all__ = [
    "ERP_KINDS",
    "ErpKind",
    "ErpMapping",
    "FieldRule",
    "FilesMapping",
    "MappingError",
    "MappingIssue",
    "MemoryMapping",
    "OracleMapping",
    "QuickBooksMapping",
    "SapMapping",
    "TranslationError",
    "check_mapping",
    "load_mapping",
    "mapping_json_schema",
    "mapping_json_schema_text",
    "parse_mapping",
    "template_text",
]
