"""Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from records.db import make_engine, upgrade
from records.models import Base


def test_migrations_match_the_models(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    upgrade(engine)  # idempotent
