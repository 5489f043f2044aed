"""Machinery of ``smartcustoms.documents.checks``: the finding shapes, the context a check
reads, line pairing, party names and the checks themselves. Import from ``checks``."""
