"""Alembic environment: runs on the engine handed over in ``config.attributes["engine"]``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import records.models  # noqa: F401  (registers every table)
from records.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on the given engine (or the URL in sqlalchemy.url)."""
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported")
run_migrations()
