"""print jobs asked for in the browser (office pages)

Revision ID: h12o_print_jobs
Revises: h14s_scans_copies
"""

import sqlalchemy as sa
from alembic import op

import records.models.base

revision = 'h12o_print_jobs'
down_revision = 'h14s_scans_copies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('print_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('official', sa.Boolean(), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', 'interrupted', name='printjobstatus',
                                native_enum=False, length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('files', sa.Text(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.Column('out_dir', sa.String(length=500), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_name', sa.String(length=80), nullable=False),
    sa.Column('created_at', records.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', records.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', records.models.base.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', records.models.base.UTCDateTime(), nullable=True),
    sa.Column('runner', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_.id'], name=op.f('fk_print_job_requested_by_id_user_')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_print_job_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_job'))
    )
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_job_school_id'), ['school_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_job_school_id'))
    op.drop_table('print_job')
