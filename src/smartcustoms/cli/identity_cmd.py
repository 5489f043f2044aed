"""CLI: users and the audit log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms import identity
from smartcustoms.cli.common import emit, err, handled, operator, out, require_schema, state
from smartcustoms.db import unit_of_work
from smartcustoms.errors import IntegrityViolation
from smartcustoms.identity import Role

users = typer.Typer(no_args_is_help=True, help="Users and roles.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")


@users.command("add")
def add(
    ctx: typer.Context,
    username: str,
    role: Annotated[Role, typer.Option(help="trader, officer, analyst, supervisor or admin.")],
    company: Annotated[str | None, typer.Option(help="Company id (traders).")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password: Annotated[str, typer.Option(
        prompt=True, hide_input=True, confirmation_prompt=True,
        envvar="SMARTCUSTOMS_NEW_USER_PASSWORD", help="Prompted for when not given.")] = "",
) -> None:
    """Create a user."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            user = identity.create_user(
                session, username=username, password=password, role=role, company_id=company,
                display_name=name, actor=operator(), now=st.clock(),
            )
            shown = {"id": user.id, "username": user.username, "role": user.role,
                     "company_id": user.company_id}
    emit(st, shown, lambda: out.print(f"created {role.value} '{username}'", highlight=False))


@users.command("list")
def list_(ctx: typer.Context) -> None:
    """List users."""
    st = state(ctx)
    with handled(st), st.sessions() as session:
        require_schema(st)
        rows = [{"username": u.username, "role": u.role, "company_id": u.company_id,
                 "active": u.active} for u in identity.list_users(session)]
    if st.json:
        for row in rows:
            emit(st, row, lambda: None)
        return
    table = Table("username", "role", "company", "active")
    for row in rows:
        table.add_row(row["username"], row["role"], escape(row["company_id"] or ""),
                      str(row["active"]))
    out.print(table)


@audit_app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Check the whole audit chain; exit 10 if any entry was edited or deleted."""
    st = state(ctx)
    with handled(st), st.sessions() as session:
        require_schema(st)
        report = identity.audit.verify(session)
        head_seq, head_hash = identity.audit.head(session)
    emit(st, {"ok": report.ok, "entries": report.entries, "first_bad_seq": report.first_bad_seq,
              "problem": report.problem, "head_seq": head_seq, "head_hash": head_hash},
         lambda: out.print(f"audit log intact: {report.entries:,} entries verified; "
                           f"head {head_seq} {head_hash}", highlight=False)
         if report.ok else None)
    if not report.ok:
        if not st.json:
            err.print(f"[bold red]error[/]: {IntegrityViolation.title}: "
                      f"{escape(report.problem or '')}", highlight=False)
        raise typer.Exit(IntegrityViolation.exit_code)
