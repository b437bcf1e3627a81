"""Domain core: money, records and the rules of credit management. No I/O, no ERP names."""
