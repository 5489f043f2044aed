"""`smartcustoms demo`: the embedded default, set up end to end on the bundled data."""

from __future__ import annotations

from smartcustoms import identity
from smartcustoms.cli.common import State, operator, out
from smartcustoms.cli.declarations_cmd import run_import
from smartcustoms.db import unit_of_work, upgrade
from smartcustoms.errors import Conflict
from smartcustoms.identity import Role
from smartcustoms.paths import SAMPLES_DIR

KCS_FILES = ("df_syn_train_eng.csv", "df_syn_valid_eng.csv", "df_syn_test_eng.csv")

# Demo users: (username, role, company). The trader acts for one importer of the sample.
DEMO_USERS = (
    ("admin", Role.admin, None),
    ("officer", Role.officer, None),
    ("analyst", Role.analyst, None),
    ("trader", Role.trader, "QLRUBN9"),
)


def run_demo(st: State) -> None:
    upgrade(st.engine)
    out.print(f"database: {st.settings.shown()['database_url']}", highlight=False)
    for name in KCS_FILES:
        report = run_import(st, SAMPLES_DIR / "kcs" / name, "kcs", None, None)
        out.print(f"  {name}: {report.declarations_imported:,} imported, "
                  f"{report.declarations_unchanged:,} already there, "
                  f"{report.rows_quarantined:,} quarantined", highlight=False)
    password = st.settings.demo_admin_password.get_secret_value()
    with unit_of_work(st.sessions) as session:
        for username, role, company in DEMO_USERS:
            try:
                with session.begin_nested():
                    identity.create_user(
                        session, username=username, password=password, role=role,
                        company_id=company, display_name=f"Demo {role.value}",
                        actor=operator(), now=st.clock(),
                    )
            except Conflict:
                pass  # a second `make demo` keeps the users it made the first time
    out.print(f"demo logins (password [bold]{password}[/]): "
              + ", ".join(f"{u} ({r.value})" for u, r, _ in DEMO_USERS), highlight=False)
