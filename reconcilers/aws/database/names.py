"""Names of an environment's database resources, and the engines berth runs.

Deterministic, so a replay finds what a crashed pass made. The instance
identifier is readable (`berth-acme-shop-production-1a2b3c4d`) and always ends in
a hash of the environment's id: organisation, application and environment names
may contain `-`, so `berth-{org}-{app}-{env}` alone would give organisation `a-b`'s
application `c` and organisation `a`'s application `b-c` the same instance. The
hash also keeps a re-created environment of the same name clear of an instance
its predecessor is still deleting.
"""

import re
from dataclasses import dataclass
from hashlib import sha256

from reconcilers.ports import EnvironmentRecord

IDENTIFIER_LIMIT = 63  # RDS: 1-63 letters, digits and `-`, a letter first, no `--`, no `-` last
IDENTIFIER_PREFIX = "berth"
HASH_LENGTH = 8
NOT_IDENTIFIER = re.compile(r"[^a-z0-9]+")

MASTER_USERNAME = "berth"
DATABASE_NAME = "app"


@dataclass(frozen=True, slots=True)
class EngineSettings:
    engine: str
    major_version: str  # RDS picks the newest minor release of this major version
    port: int


# mysql 8.4 is the LTS release the contract names; postgres 17 is the newest major
# version RDS offers in every region (18 is not yet everywhere).
ENGINES = {
    "mysql": EngineSettings("mysql", "8.4", 3306),
    "postgres": EngineSettings("postgres", "17", 5432),
}


def instance_identifier(env: EnvironmentRecord) -> str:
    """Also the name of the DB subnet group and of the instance's security group."""
    suffix = sha256(str(env.id).encode()).hexdigest()[:HASH_LENGTH]
    slug = NOT_IDENTIFIER.sub("-", f"{env.organisation}-{env.application}-{env.name}".lower()).strip("-")
    room = IDENTIFIER_LIMIT - len(IDENTIFIER_PREFIX) - len(suffix) - 2
    slug = slug[:room].rstrip("-")
    return "-".join(part for part in (IDENTIFIER_PREFIX, slug, suffix) if part)


def final_snapshot_identifier(identifier: str, generation: int) -> str:
    """One per generation: a teardown replayed at the same generation asks for the same
    snapshot, and a database deleted, re-created and deleted again gets a new one."""
    return f"{identifier}-final-{generation}"


def connection_secret_name(env: EnvironmentRecord) -> str:
    return f"berth/{env.organisation}/{env.application}/{env.name}/database"
