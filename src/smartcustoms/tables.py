"""Imports every capability's ORM tables so the metadata is complete (migrations, tests)."""


def import_all_tables() -> None:
    import smartcustoms.declarations.tables
    import smartcustoms.documents.tables
    import smartcustoms.identity.tables
    import smartcustoms.origin.tables
    import smartcustoms.risk.tables
    import smartcustoms.screening.tables
    import smartcustoms.tariff.tables
    import smartcustoms.transit.tables  # noqa: F401
