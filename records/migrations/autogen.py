"""Write a new Alembic revision from the difference between the models and the migrations.

Usage: ``python -m records.migrations.autogen "message"`` (uses a scratch SQLite database).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from records.db import alembic_config, make_engine, upgrade


def main() -> None:
    """Upgrade a scratch database to head, then autogenerate the next revision."""
    message = sys.argv[1] if len(sys.argv) > 1 else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'autogen.sqlite'}")
        upgrade(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True)


if __name__ == "__main__":
    main()
