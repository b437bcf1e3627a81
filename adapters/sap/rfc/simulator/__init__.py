"""A stateful fake ECC system behind the RFC protocol: tables, function modules, LUWs per session."""

from creditbridge.adapters.sap.rfc.simulator.system import FakeEcc, FakeRfcConnection, RfcFault

__all__ = ["FakeEcc", "FakeRfcConnection", "RfcFault"]
