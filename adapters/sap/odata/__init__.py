"""S/4HANA over OData V2: API_CRDTMBUSINESSPARTNER (credit accounts), API_OPLACCTGDOCITEMCUBE_SRV (line items),
API_BUSINESS_PARTNER (customers); a client over requests and a stateful Gateway simulator."""
