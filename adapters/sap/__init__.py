"""SAP behind the core ports: ECC credit management over RFC (rfc/) and S/4HANA over OData (odata/).

Both share the SAP data conventions (codes.py), the company-code settings a mapping gives
(settings.py), the day-granular change stamps SAP offers (stamps.py) and the simulators' seed.
"""
