"""Cash application: match incoming bank payments to open items (pure; parsers and store at the edge).

`CashMatcher(customers, items, memory, policy).match_all(transactions)` → one `CashMatch` per
payment; `match_rows` turns one into rows of the MATCHES.csv contract. Learning is data:
`learn_from_history`, `learn_confirmation`, `learn_rejection` return a `MatchMemory`.
"""

from creditbridge.core.cashapp.learning import MatchMemory, learn_confirmation, learn_from_history, learn_rejection
from creditbridge.core.cashapp.matcher import CashMatcher
from creditbridge.core.cashapp.policy import MatchPolicy, PolicyError
from creditbridge.core.cashapp.results import MATCHES_HEADER, CashMatch, Decision, Residual, match_rows

__all__ = [
    "MATCHES_HEADER",
    "CashMatch",
    "CashMatcher",
    "Decision",
    "MatchMemory",
    "MatchPolicy",
    "PolicyError",
    "Residual",
    "learn_confirmation",
    "learn_from_history",
    "learn_rejection",
    "match_rows",
]
