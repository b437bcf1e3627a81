"""An in-memory ERP with state: the test double of every adapter port (see `erp.py`)."""

from creditbridge.adapters.memory.erp import CAPABILITIES, UNSET, InMemoryErp, record_key
from creditbridge.adapters.memory.faults import Fault

__all__ = ["CAPABILITIES", "UNSET", "Fault", "InMemoryErp", "record_key"]
