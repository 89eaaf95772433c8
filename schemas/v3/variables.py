"""`…/environments/{environment}/variables`: the environment's plain variables (`EnvironmentSpec.variables`).

They are merged into every container's environment by the workload reconciler. They are
plain text, stored in PostgreSQL and shown by `GET`: secrets belong in a container's
`secrets` (the environment's Secrets Manager store), not here. Names that look like
secrets (`API_KEY`) are still accepted: berth cannot tell, and refusing them would break
clients that already keep such values as variables.
"""

from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from schemas.v3.compose import EnvironmentVariable
from schemas.wire import CamelModel

VARIABLE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 32_768
MAX_VARIABLES = 500

NUL_IN_VALUE = "a value cannot contain the NUL character (\\u0000)"
PLATFORM_NAME = "{name} is set by ECS itself for every task; a variable cannot replace it"
DATABASE_NAME = "{name} is injected from the environment's database connection secret; choose another name"
DUPLICATE_NAME = "{name!r} appears more than once; each variable name must be unique"

# Names ECS sets in every Fargate task (the task role's credentials, the metadata
# endpoint): overriding them breaks the container's AWS access, so they are refused.
PLATFORM_PREFIXES = ("AWS_CONTAINER_", "ECS_CONTAINER_METADATA_URI", "ECS_AGENT_URI")
# With a database, these come from the connection secret (docs/api.md, "Database").
DATABASE_NAMES = frozenset({"DB_HOST", "DB_PORT", "DB_DATABASE", "DB_USERNAME", "DB_PASSWORD"})


def _not_platform(name: str) -> str:
    if name.startswith(PLATFORM_PREFIXES):
        raise ValueError(PLATFORM_NAME.format(name=name))
    return name


def _no_nul(value: str) -> str:
    # PostgreSQL's jsonb cannot hold \u0000, and no process environment can either.
    if "\x00" in value:
        raise ValueError(NUL_IN_VALUE)
    return value


VariableName = Annotated[
    str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=VARIABLE_NAME_PATTERN), AfterValidator(_not_platform)
]
VariableValue = Annotated[str, Field(max_length=MAX_VALUE_LENGTH), AfterValidator(_no_nul)]


class Variable(CamelModel):
    """`bulkSetEnvironmentVariables_request_environment_inner`."""

    name: VariableName
    value: VariableValue

    def stored(self) -> EnvironmentVariable:
        return EnvironmentVariable(name=self.name, value=self.value)


class BulkSetVariablesRequest(CamelModel):
    """`bulkSetEnvironmentVariables_request`: the complete new set; `[]` removes every variable."""

    environment: Annotated[list[Variable], Field(max_length=MAX_VARIABLES)]

    @field_validator("environment")
    @classmethod
    def _unique(cls, variables: list[Variable]) -> list[Variable]:
        seen: set[str] = set()
        for variable in variables:
            if variable.name in seen:
                raise ValueError(DUPLICATE_NAME.format(name=variable.name))
            seen.add(variable.name)
        return variables


class UpdateVariableRequest(CamelModel):
    """`updateEnvironmentVariable_request`: the variable's new value (berth requires it)."""

    value: VariableValue


def database_name_reason(name: str) -> str | None:
    """Why `name` cannot be a variable of an environment with a database, or None."""
    return DATABASE_NAME.format(name=name) if name in DATABASE_NAMES else None


def as_object(variables: list[EnvironmentVariable]) -> dict[str, str]:
    """The variables as the list route answers them: name → value, in stored order
    (the shape Quant Cloud's own variables action reads)."""
    return {v.name: v.value for v in variables}
