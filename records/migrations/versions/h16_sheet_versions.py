"""sheet versions (optimistic concurrency of editable sheets)

Revision ID: h16_sheet_versions
Revises: 119db2f613b0
"""

import sqlalchemy as sa
from alembic import op

import records.models.base

revision = 'h16_sheet_versions'
down_revision = 'h14_archive'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sheet_version',
    sa.Column('sheet', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', records.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sheet', name=op.f('pk_sheet_version'))
    )


def downgrade() -> None:
    op.drop_table('sheet_version')
