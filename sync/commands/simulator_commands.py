"""`creditbridge simulator quickbooks`: a fake QuickBooks Online company on loopback, for trying clients.

Prints what a client written from Intuit's docs needs (base URL, realm, client id/secret, a refresh
token) and serves until Ctrl-C. Nothing leaves the machine: it binds 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.console import Console

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `simulator` group (`simulator quickbooks`) to `app`."""
    group = typer.Typer(help="Fake ERPs to develop and test against (loopback only).", no_args_is_help=True)
    group.command("quickbooks")(quickbooks_command)
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
