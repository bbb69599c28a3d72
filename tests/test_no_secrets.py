"""No secret in the repository, the terminal or the log (issue 16, item 4; docs/SECURITY.md).

Every tracked file is scanned for private key material (PEM private-key blocks with a real body,
PKCS#12 / key / database / .env files), cloud tokens, and — outside ``tests/`` — passwords written
into the code other than the documented ones (``ALLOWED``). Test passwords under ``tests/`` guard
throw-away databases and are allowed; key material is refused everywhere.
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).parents[1]

#: Passwords that may be written in the code, with the reason (also listed in docs/SECURITY.md).
ALLOWED = {
    "sodientu-demo": "the demo school's accounts (records/demo/build.py), documented in the README",
    "truong-mau-sodientu": "the demo school's key passphrase (web/commands/demo.py), documented in --help",
    "mat-khau-do-toc-do": "a throw-away account of bench/bench_sign_in.py, in its temporary database",
}
SECRET_FILES = re.compile(r"(\.p12|\.pfx|\.key|\.key\.pem|\.sqlite|\.sqlite3|\.db|(^|/)\.env)$")
PEM_BLOCK = re.compile(rb"-----BEGIN ((?:ENCRYPTED |RSA |EC |OPENSSH |DSA )?PRIVATE KEY)-----(.*?)-----END \1-----",
                       re.DOTALL)
TOKENS = re.compile(rb"AKIA[0-9A-Z]{16}|ghp_[0-9A-Za-z]{30,}|xox[abps]-[0-9A-Za-z-]{10,}|sk_live_[0-9A-Za-z]{16,}")
PASSWORD_LITERAL = re.compile(
    r"""(?i)\b\w*(password|passphrase|passwd|secret)\w*\s*[:=]\s*["']([^"'{}\s]{6,})["']""")
BINARY = (".ttf", ".otf", ".png", ".jpg", ".jpeg", ".pdf", ".woff", ".woff2", ".ico", ".gif", ".tif", ".tiff")


def tracked_files() -> list[Path]:
    try:
        names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return [ROOT / n for n in names.splitlines() if (ROOT / n).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a checkout: walk the tree
        skip = {".venv", ".git", "node_modules", "__pycache__", ".pytest_cache"}
        return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def findings(name: str, data: bytes) -> list[str]:
    """What in one file looks like a secret."""
    found = []
    if SECRET_FILES.search(name):
        found.append("a key, certificate store, database or .env file")
    for match in PEM_BLOCK.finditer(data):
        body = re.sub(rb"[^A-Za-z0-9+/=]", b"", match.group(2).split(b"\n\n")[-1])
        try:
            decoded = base64.b64decode(body + b"=" * (-len(body) % 4))
        except ValueError:
            decoded = b""
        if len(decoded) >= 32:
            found.append(f"a {match.group(1).decode()} block")
    if TOKENS.search(data):
        found.append("an access token")
    if not name.startswith("tests/") and not name.endswith(BINARY):
        text = data.decode("utf-8", "replace")
        for match in PASSWORD_LITERAL.finditer(text):
            value = match.group(2)
            if value not in ALLOWED and not value.isupper():  # an upper-case value names a variable (…_ENV)
                found.append(f"a password in the code: {match.group(0)[:60]!r}")
    return found


def test_no_secret_is_tracked() -> None:
    problems = {}
    for path in tracked_files():
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("layouts/fonts/"):
            continue
        found = findings(name, path.read_bytes())
        if found:
            problems[name] = found
    assert problems == {}


def test_the_scan_finds_what_it_looks_for() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = Ed25519PrivateKey.generate()
    plain = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    locked = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"mat-khau-dai-du"))
    assert findings("signing/x.py", b"KEY = '''" + plain + b"'''") == ["a PRIVATE KEY block"]
    assert findings("tests/x.py", locked) == ["a ENCRYPTED PRIVATE KEY block"]  # encrypted keys too, tests too
    assert findings("keys/school-cert.p12", b"") and findings("sodientu.sqlite", b"") and findings(".env", b"")
    assert findings("web/x.py", b'DB_PASSWORD = "hunter2hunter2"') and findings("web/x.py", b"secret_key: 'abcdefgh'")
    assert findings("tests/x.py", b'PASSWORD = "hunter2hunter2"') == []  # test databases are throw-away
    assert findings("web/x.py", b'PASSWORD_ENV = "SODIENTU_PASSWORD"') == []  # names a variable
    assert findings("web/x.py", b'DEMO_PASSWORD = "sodientu-demo"') == []  # documented
    assert findings("a.txt", b"AKIA" + b"ABCDEFGHIJKLMNOP") == ["an access token"]  # split: not a token here
    assert findings("tests/x.py", b'b"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----"') == []  # a stub


@pytest.mark.parametrize("url", ["postgresql://sodientu:mat-khau-csdl-bi-mat@127.0.0.1:1/truong",
                                 "mysql://sodientu:mat-khau-csdl-bi-mat@localhost/truong"])
def test_a_database_password_never_reaches_the_terminal_or_the_log(url, caplog) -> None:
    from web.cli import cli

    result = CliRunner().invoke(cli, ["keys", "list", "--db", url])
    assert result.exit_code == 1 and result.output.startswith("Lỗi: ")
    assert "mat-khau-csdl-bi-mat" not in result.output
    assert all("mat-khau-csdl-bi-mat" not in r.getMessage() for r in caplog.records)


def test_keys_are_encrypted_at_rest_and_the_passphrase_is_never_echoed(tmp_path) -> None:
    from records.db import make_engine, session_scope
    from records.models import Base
    from signing.errors import KeyPassphraseError
    from signing.keys import load_private_key
    from signing.pdfsign import load_p12
    from tests.factories import make_school
    from web.cli import cli

    url = f"sqlite:///{tmp_path / 'school.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        make_school(session)
    engine.dispose()
    secret = "cum-tu-bi-mat-cua-truong"
    result = CliRunner().invoke(cli, ["keys", "init", "--db", url, "--key-dir", str(tmp_path / "keys")],
                                input=f"{secret}\n{secret}\n", env={"SODIENTU_KEY_PASSPHRASE": None})
    assert result.exit_code == 0, result.output
    assert secret not in result.output  # asked twice, never shown
    (key_file,) = (tmp_path / "keys").glob("*.key.pem")
    pem = key_file.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(KeyPassphraseError):
        load_private_key(pem)
    with pytest.raises(KeyPassphraseError):
        load_private_key(pem, "doan-sai")
    load_private_key(pem, secret)
    p12 = (tmp_path / "keys" / "school-cert.p12").read_bytes()
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the store is useless without the passphrase
        load_p12(p12, "doan-sai")
    load_p12(p12, secret)
    assert all(secret.encode() not in f.read_bytes() for f in (tmp_path / "keys").iterdir())
    import click

    def walk(command: click.Command, path: str):  # type: ignore[no-untyped-def]
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    commands = list(walk(cli, "sodientu"))
    assert len(commands) > 40 and any(path == "sodientu keys rotate" for path, _ in commands)
    for path, command in commands:  # no command takes a secret as an argument
        names = {o for p in command.params for o in p.opts}
        assert not {n for n in names if any(w in n for w in ("passphrase", "password", "secret"))
                    and not n.endswith("-file")}, path
