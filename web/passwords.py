"""Passwords on the command line: prompted (hidden) or read from an environment variable, never an argument.

``signed_in_actor(session, username)`` is how a command acts for a user: it asks that user's password
(``SODIENTU_PASSWORD`` for scripts), signs in through ``records.services.accounts`` (rate limits and
the record of attempts apply) and returns the actor with its command-line session, which the audit
trail stamps on every change the command makes. Without the right password the command is refused.
"""

from __future__ import annotations

import os

import click
from sqlalchemy.orm import Session

from records.permissions import Actor

PASSWORD_ENV = "SODIENTU_PASSWORD"
ADMIN_PASSWORD_ENV = "SODIENTU_ADMIN_PASSWORD"


def new_password(env_var: str, prompt: str) -> str:
    """A new password: from ``env_var`` if set, else prompted twice without echo."""
    value = os.environ.get(env_var)
    if value:
        return value
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt="Nhập lại mật khẩu"))


def key_passphrase(passphrase_file: str | None = None, *, confirm: bool = False,
                   prompt: str = "Mật khẩu khóa ký") -> str:
    """The passphrase of the school's key files: ``--passphrase-file``, else ``SODIENTU_KEY_PASSPHRASE``,
    else asked without echo (twice when ``confirm``, for a new key). Never a command-line argument."""
    from signing.keyfiles import PASSPHRASE_ENV, read_passphrase_file

    if passphrase_file:
        return read_passphrase_file(passphrase_file)
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt="Nhập lại mật khẩu" if confirm else False))


def password_env_for(username: str) -> str:
    """The variable that may hold one user's password: ``SODIENTU_PASSWORD_<USERNAME>`` (non-alphanumerics → _)."""
    return PASSWORD_ENV + "_" + "".join(c if c.isalnum() else "_" for c in username.upper())


def current_password(username: str) -> str:
    """The password of ``username``: ``SODIENTU_PASSWORD_<USERNAME>``, else ``SODIENTU_PASSWORD``, else asked.

    The per-user variable lets a script name a second person (the witnesses of a correction).
    """
    value = os.environ.get(password_env_for(username)) or os.environ.get(PASSWORD_ENV)
    if value:
        return value
    return str(click.prompt(f"Mật khẩu của {username}", hide_input=True, default="", show_default=False))


def signed_in_actor(session: Session, username: str) -> Actor:
    """Sign ``username`` in for this command (password required) and return the actor; refuse otherwise."""
    from records.errors import SodientuError
    from records.services import accounts

    password = current_password(username)
    if session.in_transaction():  # the command already reads: sign in inside its transaction
        return accounts.sign_in(session, username, password, address="cli", channel="cli").actor
    # Its own short transaction: a refused attempt is recorded (rate limits) even though the command fails.
    with Session(bind=session.get_bind(), expire_on_commit=False) as own:
        try:
            signed = accounts.sign_in(own, username, password, address="cli", channel="cli")
        except SodientuError:
            own.commit()
            raise
        own.commit()
    return signed.actor
