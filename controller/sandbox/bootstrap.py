"""The sandbox's organisation `demo` and its token, kept across restarts."""

import os
from pathlib import Path

import asyncpg

from controller.store.organisations import add_token, create_organisation, new_token

DEMO_ORGANISATION = "demo"


async def bootstrap_token(pool: asyncpg.Pool, data_dir: Path, environ=os.environ) -> str:
    """The token from BERTH_BOOTSTRAP_TOKEN, else the one kept in <data-dir>/token, else a new one."""
    token_file = data_dir / "token"
    token = environ.get("BERTH_BOOTSTRAP_TOKEN") or (
        token_file.read_text().strip() if token_file.exists() else new_token()
    )
    organisation = await create_organisation(pool, DEMO_ORGANISATION)
    await add_token(pool, organisation, token, name="sandbox")
    # Created owner-only from the start, never briefly readable by others.
    descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    return token
