"""The web workspace served by `creditbridge serve`: users, roles, sessions and server-rendered pages.

Every page reads and every action writes through the same functions the commands use (the KPI
engine, the credit check, write-back approvals, collections notes): no rule is implemented here.
"""
