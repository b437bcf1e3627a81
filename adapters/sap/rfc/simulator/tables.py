"""The ECC tables the fake holds, with their DDIC field lengths (RFC_READ_TABLE lays rows out by them).

BSID and BSAD (open and cleared customer items) are views of the fake's line items.
"""

from __future__ import annotations

DDIC: dict[str, dict[str, int]] = {
    "T001": {"BUKRS": 4, "BUTXT": 25, "WAERS": 5},
    "T014": {"KKBER": 4, "WAERS": 5, "KKBTX": 35},
    "KNA1": {"KUNNR": 10, "NAME1": 35, "LAND1": 3, "STCD1": 16, "ERDAT": 8, "AUFSD": 2, "KTOKD": 4},
    "KNB1": {"KUNNR": 10, "BUKRS": 4, "ZTERM": 4, "AKONT": 10, "ERDAT": 8},
    "KNBK": {"KUNNR": 10, "BANKS": 3, "BANKL": 15, "BANKN": 18},
    "KNKK": {
        "KUNNR": 10, "KKBER": 4, "KLIMK": 17, "KNKLI": 10, "CRBLB": 1, "CTLPC": 3, "SBGRP": 3,
        "NXTRV": 8, "DTREV": 8, "ERDAT": 8, "ERNAM": 12, "AEDAT": 8, "AENAM": 12,
    },
    "CDHDR": {"OBJECTCLAS": 15, "OBJECTID": 90, "CHANGENR": 10, "USERNAME": 12, "UDATE": 8, "UTIME": 6, "TCODE": 20},
    "VBAK": {"VBELN": 10, "AUART": 4, "VKORG": 4, "KUNNR": 10, "AUDAT": 8, "ERDAT": 8, "AEDAT": 8, "NETWR": 18,
             "WAERK": 5},
    "VBUK": {"VBELN": 10, "GBSTK": 1, "ABSTK": 1, "CMGST": 1},
    "BSID": {"BUKRS": 4, "KUNNR": 10, "UMSKZ": 1, "AUGDT": 8, "AUGBL": 10, "GJAHR": 4, "BELNR": 10, "BUZEI": 3,
             "BUDAT": 8, "CPUDT": 8, "BLART": 2, "SHKZG": 1, "WRBTR": 16, "WAERS": 5},
    "BSAD": {"BUKRS": 4, "KUNNR": 10, "UMSKZ": 1, "AUGDT": 8, "AUGBL": 10, "GJAHR": 4, "BELNR": 10, "BUZEI": 3,
             "BUDAT": 8, "CPUDT": 8, "BLART": 2, "SHKZG": 1, "WRBTR": 16, "WAERS": 5},
}  # fmt: skip

TID_TABLE_FIELDS: dict[str, int] = {
    "TID": 24, "KUNNR": 10, "KKBER": 4, "KLIMK": 17, "CRBLB": 1, "REFERENCE": 64, "UDATE": 8, "UTIME": 6,
}  # fmt: skip
"""The Z-table of our write contract: one row per applied transaction id (README, SAP)."""
