"""Oracle E-Business Suite (R12) Receivables and TCA behind the core ports, over python-oracledb.

Reads run fixed SQL with bind variables against the `_ALL` tables filtered by ORG_ID; credit
limits and holds are written through `HZ_CUSTOMER_PROFILE_V2PUB` in anonymous PL/SQL blocks.
Everything talks to the database through the narrow DB-API seam in `seam.py`, so the EBS
simulator (simulator/) runs the same SQL and blocks without an Oracle database.
"""
