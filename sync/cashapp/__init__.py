"""Cash application in the shell: ledger/statement loading, the store-mode job, its tables."""
