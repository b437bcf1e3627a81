"""A stateful SAP Gateway (OData V2) for S/4HANA credit management, open items and customers."""

from creditbridge.adapters.sap.odata.simulator.gateway import GatewayFault, LostResponse, S4Simulator

__all__ = ["GatewayFault", "LostResponse", "S4Simulator"]
