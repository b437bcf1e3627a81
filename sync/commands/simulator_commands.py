"""`creditbridge simulator quickbooks|sap-odata`: fake ERPs on loopback, for trying clients.

Each prints what a client written from the vendor's docs needs (QuickBooks: base URL, realm, client
id/secret, a refresh token; SAP: the Gateway URL, user, password, sap-client) and serves until
Ctrl-C. Nothing leaves the machine: they bind 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `simulator` group (`simulator quickbooks`) to `app`."""
    group = typer.Typer(help="Fake ERPs to develop and test against (loopback only).", no_args_is_help=True)
    group.command("quickbooks")(quickbooks_command)
    group.command("sap-odata")(sap_odata_command)
    app.add_typer(group, name="simulator")


def quickbooks_command(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same company.")] = 7,
    customers: Annotated[int, typer.Option("--customers", min=1, help="Number of customers.")] = 20,
) -> None:
    """Serve a simulated QuickBooks Online company until Ctrl-C."""
    from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator

    sim = QuickBooksSimulator(seed=seed, customers=customers)
    try:
        with sim.serve(port=port) as running:
            out.print(f"QuickBooks Online simulator on {running.base_url}", highlight=False)
            out.print(f"API base:       {running.base_url}/v3  (company {running.base_url}/v3/company/{sim.realm_id})",
                      highlight=False)
            out.print(f"Token endpoint: {running.base_url}/oauth2/v1/tokens/bearer", highlight=False)
            out.print(f"Realm id:       {sim.realm_id}", highlight=False)
            out.print(f"Client id:      {sim.client_id}", highlight=False)
            out.print(f"Client secret:  {sim.client_secret}", highlight=False)
            out.print(f"Refresh token:  {sim.refresh_token}", highlight=False)
            out.print(f"Access token:   {sim.issue_access_token()}  (valid 1 h)", highlight=False)
            out.print("minorversion=75 or later is required. Ctrl-C to stop.", highlight=False)
            threading.Event().wait()
    except KeyboardInterrupt:
        out.print("stopped", highlight=False)
    except OSError as exc:
        out.print(f"[red]cannot serve on 127.0.0.1:{port}: {exc}[/]", highlight=False)
        raise typer.Exit(2) from None


def sap_odata_command(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the sample company.")] = 7,
    customers: Annotated[int, typer.Option("--customers", min=1, help="Customers of the sample company.")] = 20,
    ledger: Annotated[
        Path | None, typer.Option("--ledger", help="Load this ledger folder instead of a sample company.")
    ] = None,
) -> None:
    """Serve a simulated S/4HANA (SAP Gateway, OData V2) until Ctrl-C.

    Services under http://127.0.0.1:PORT/sap/opu/odata/sap/: API_CRDTMBUSINESSPARTNER (credit accounts,
    PATCH with CSRF token and If-Match), API_OPLACCTGDOCITEMCUBE_SRV (line items), API_BUSINESS_PARTNER
    (customers), API_SALES_ORDER_SRV (sales orders). Company codes 1000 (USD) and 2000 (EUR), credit
    segments of the same numbers.
    """
    import tempfile

    from creditbridge.adapters.files import LedgerError, read_ledger
    from creditbridge.adapters.sap.odata.simulator import S4Simulator
    from creditbridge.adapters.sap.settings import CompanyCode, SapSettings
    from creditbridge.sync.sample_company import generate_sample_company

    settings = SapSettings(
        company_codes=(CompanyCode("1000", "USD", "1000", "1000"), CompanyCode("2000", "EUR", "2000", "2000")),
        payment_terms={"NT00": 0, "NT15": 15, "NT30": 30, "NT45": 45, "NT60": 60, "NT90": 90},
        writeoff_document_types=frozenset({"DW"}),
    )
    try:
        if ledger is None:
            folder = Path(tempfile.mkdtemp(prefix="creditbridge-sap-"))
            today = datetime.now(UTC).date()
            generate_sample_company(folder, customers=customers, invoices=customers * 20, as_of=today, seed=seed)
            ledger = folder
        records = read_ledger(ledger).to_ledger()
        sim = S4Simulator(settings)
        sim.seed_ledger(records)
    except (LedgerError, ValueError, FileNotFoundError) as exc:
        out.print(f"[red]{ledger}: cannot load it into the simulator: {exc}[/]", highlight=False)
        raise typer.Exit(2) from None
    root = "/sap/opu/odata/sap"
    try:
        with sim.serve(port=port) as running:
            out.print(f"SAP Gateway (S/4HANA) simulator on {running.base_url}", highlight=False)
            services = ("API_CRDTMBUSINESSPARTNER", "API_OPLACCTGDOCITEMCUBE_SRV", "API_BUSINESS_PARTNER",
                        "API_SALES_ORDER_SRV")  # fmt: skip
            for service in services:
                out.print(f"  {running.base_url}{root}/{service}/   ($metadata for the model)", highlight=False)
            out.print(f"User / password: {sim.user} / {sim.password}   sap-client: {sim.client}", highlight=False)
            out.print(f"Loaded: {len(records.customers)} customers, {len(records.items)} items from {ledger}",
                      highlight=False)  # fmt: skip
            out.print("Writes need a CSRF token: GET the service root with `x-csrf-token: Fetch`, keep the "
                      "cookie, send the token and If-Match (the ETag). Ctrl-C to stop.", highlight=False)  # fmt: skip
            threading.Event().wait()
    except KeyboardInterrupt:
        out.print("stopped", highlight=False)
    except OSError as exc:
        out.print(f"[red]cannot serve on 127.0.0.1:{port}: {exc}[/]", highlight=False)
        raise typer.Exit(2) from None
