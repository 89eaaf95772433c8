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
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    return token
