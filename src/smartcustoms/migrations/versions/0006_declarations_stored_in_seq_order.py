"""declarations stored in arrival order: a sequential key, items clustered by it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:40:00

The declaration id (a hash of declarant and LRN) was the primary key, and items were
keyed by it: every bulk write landed on pages all over both trees. Declarations now
get a sequential ``seq`` (the primary key, the storage order; ``id`` stays unique and
is still what everything else refers to), items are keyed by (``declaration_seq``,
``sequence``) and stored without a separate rowid tree on SQLite, and the unique
(declarant, reference) index goes: ``id`` is derived from exactly that pair.

Both tables are rebuilt and their rows copied (in their previous storage order); the
downgrade rebuilds the previous layout the same way. Other tables keep referring to
``declarations.id``.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

import smartcustoms.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD = "_0006_old"
# Tables whose foreign keys refer to declarations.id.
REFERRING = ("inspections", "lane_decisions")
DECLARATION_INDEXES = {"ix_declarations_date": ["declaration_date"],
                       "ix_declarations_importer": ["importer_id"],
                       "ix_declarations_office": ["office"]}
ITEM_INDEXES = {"ix_declaration_items_hs_code": ["hs_code"],
                "ix_declaration_items_origin": ["origin_country"]}
DECLARATION_COLUMNS = (
    "id", "reference", "declarant_id", "importer_id", "profile", "status", "declaration_date",
    "office", "item_count", "content_digest", "document", "absent_in_source", "source_extra",
    "import_run_id", "submitted_by", "created_at")
ITEM_COLUMNS = ("sequence", "hs_code", "hs_edition", "origin_country", "description",
                "net_mass_kg", "price_amount", "price_currency")


def _seq_type() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _declaration_columns() -> list[sa.Column]:
    return [
        sa.Column('reference', sa.String(length=35), nullable=False),
        sa.Column('declarant_id', sa.String(length=35), nullable=False),
        sa.Column('importer_id', sa.String(length=35), nullable=True),
        sa.Column('profile', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('declaration_date', sa.Date(), nullable=False),
        sa.Column('office', sa.String(length=35), nullable=False),
        sa.Column('item_count', sa.Integer(), nullable=False),
        sa.Column('content_digest', sa.String(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('absent_in_source', sa.JSON(), nullable=True),
        sa.Column('source_extra', sa.JSON(), nullable=True),
        sa.Column('import_run_id', sa.Integer(), nullable=True),
        sa.Column('submitted_by', sa.Integer(), nullable=True),
        sa.Column('created_at', smartcustoms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'],
                                name='fk_declarations_import_run_id_import_runs'),
        sa.ForeignKeyConstraint(['submitted_by'], ['users.id'],
                                name='fk_declarations_submitted_by_users'),
    ]


def _item_columns() -> list[sa.Column]:
    return [
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('hs_code', sa.String(length=10), nullable=False),
        sa.Column('hs_edition', sa.String(length=8), nullable=False),
        sa.Column('origin_country', sa.String(length=2), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('net_mass_kg', sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column('price_amount', sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column('price_currency', sa.String(length=3), nullable=True),
    ]


def _create_seq_layout() -> None:
    op.create_table(
        'declarations',
        sa.Column('seq', _seq_type(), autoincrement=True, nullable=False),
        sa.Column('id', sa.String(length=32), nullable=False),
        *_declaration_columns(),
        sa.PrimaryKeyConstraint('seq', name='pk_declarations'),
        sa.UniqueConstraint('id', name='uq_declarations_id'),
    )
    op.create_table(
        'declaration_items',
        sa.Column('declaration_seq', _seq_type(), nullable=False),
        *_item_columns(),
        sa.ForeignKeyConstraint(['declaration_seq'], ['declarations.seq'],
                                name='fk_declaration_items_declaration_seq_declarations',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('declaration_seq', 'sequence', name='pk_declaration_items'),
        sqlite_with_rowid=False,
    )


def _create_id_layout() -> None:
    op.create_table(
        'declarations',
        sa.Column('id', sa.String(length=32), nullable=False),
        *_declaration_columns(),
        sa.PrimaryKeyConstraint('id', name='pk_declarations'),
        sa.UniqueConstraint('declarant_id', 'reference',
                            name='uq_declarations_declarant_id_reference'),
    )
    op.create_table(
        'declaration_items',
        sa.Column('declaration_id', sa.String(length=32), nullable=False),
        *_item_columns(),
        sa.ForeignKeyConstraint(['declaration_id'], ['declarations.id'],
                                name='fk_declaration_items_declaration_id_declarations',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('declaration_id', 'sequence', name='pk_declaration_items'),
    )


def _set_aside(item_key: str) -> None:
    """Rename both tables out of the way, their index and constraint names with them."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # With foreign keys off (migrations/env.py), this keeps the renames from rewriting
        # the other tables' references: they go on naming "declarations", the new table.
        op.execute("PRAGMA legacy_alter_table=ON")
    else:
        for table in REFERRING:
            op.drop_constraint(f"fk_{table}_declaration_id_declarations", table,
                               type_="foreignkey")
    for name in [*DECLARATION_INDEXES, *ITEM_INDEXES]:
        op.drop_index(name)
    op.rename_table("declaration_items", "declaration_items" + OLD)
    op.rename_table("declarations", "declarations" + OLD)
    if not sqlite:  # index names are schema-wide on PostgreSQL
        op.execute(f"ALTER TABLE declaration_items{OLD} RENAME CONSTRAINT "
                   f"pk_declaration_items TO pk_declaration_items{OLD}")
        op.execute(f"ALTER TABLE declarations{OLD} RENAME CONSTRAINT "
                   f"pk_declarations TO pk_declarations{OLD}")
        unique = "uq_declarations_id" if item_key == "declaration_seq" else \
            "uq_declarations_declarant_id_reference"
        op.execute(f"ALTER TABLE declarations{OLD} RENAME CONSTRAINT {unique} TO {unique}{OLD}")


def _finish() -> None:
    op.drop_table("declaration_items" + OLD)
    op.drop_table("declarations" + OLD)
    for name, columns in DECLARATION_INDEXES.items():
        op.create_index(name, "declarations", columns, unique=False)
    for name, columns in ITEM_INDEXES.items():
        op.create_index(name, "declaration_items", columns, unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA legacy_alter_table=OFF")
    else:
        for table in REFERRING:
            op.create_foreign_key(f"fk_{table}_declaration_id_declarations", table,
                                  "declarations", ["declaration_id"], ["id"],
                                  ondelete="CASCADE")


def _rebuild(old_item_key: str, create: Callable[[], None], copy_items: str) -> None:
    _set_aside(old_item_key)
    create()
    columns = ", ".join(DECLARATION_COLUMNS)
    # Previous storage order first (rowid or seq), then the key: arrival order kept.
    order = "seq" if old_item_key == "declaration_seq" else "created_at, id"
    op.execute(f"INSERT INTO declarations ({columns}) SELECT {columns} "
               f"FROM declarations{OLD} ORDER BY {order}")
    op.execute(copy_items)
    _finish()


def upgrade() -> None:
    items = ", ".join(ITEM_COLUMNS)
    prefixed = ", ".join(f"i.{c}" for c in ITEM_COLUMNS)
    _rebuild("declaration_id", _create_seq_layout,
             f"INSERT INTO declaration_items (declaration_seq, {items}) "
             f"SELECT d.seq, {prefixed} FROM declaration_items{OLD} i "
             f"JOIN declarations d ON d.id = i.declaration_id ORDER BY d.seq, i.sequence")


def downgrade() -> None:
    items = ", ".join(ITEM_COLUMNS)
    prefixed = ", ".join(f"i.{c}" for c in ITEM_COLUMNS)
    _rebuild("declaration_seq", _create_id_layout,
             f"INSERT INTO declaration_items (declaration_id, {items}) "
             f"SELECT d.id, {prefixed} FROM declaration_items{OLD} i "
             f"JOIN declarations{OLD} d ON d.seq = i.declaration_seq "
             f"ORDER BY d.id, i.sequence")
