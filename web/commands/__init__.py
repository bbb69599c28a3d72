"""Subcommands of ``sodientu``: each module defines ``register(cli)`` and is picked up automatically."""
