"""What every end-to-end test shares: the CLI it starts prints to a wide virtual terminal.

rich folds messages at the terminal width (80 columns when stderr is not a terminal), so a message
naming a long temporary path would break across lines depending on where pytest put tmp_path (longer
under xdist): tests that look for words in a message would then pass or fail by chance.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
