"""S/4HANA over OData V2, with a client over requests and a stateful Gateway simulator.

Services: API_CRDTMBUSINESSPARTNER (credit accounts), API_OPLACCTGDOCITEMCUBE_SRV (line items),
API_BUSINESS_PARTNER (customers), API_SALES_ORDER_SRV (sales orders).
"""
