"""Configurations: an application's environment variables and secrets.

A secret's value is never sent back: responses carry MASK in its place.
"""

import re
from typing import Annotated

from pydantic import StringConstraints, field_validator

from schemas.v1.base import Timestamp, V1Request, V1Response

MASK = "********"
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
MAX_VALUE_LENGTH = 65_536
BAD_NAME = "must be an environment variable name: letters, digits and '_', not starting with a digit"
BAD_VALUE = f"must be at most {MAX_VALUE_LENGTH} characters"

Value = Annotated[str, StringConstraints(max_length=MAX_VALUE_LENGTH)]


def name_reason(name: str) -> str | None:
    """Why `name` cannot be a configuration name, or None."""
    return None if NAME_PATTERN.match(name) else BAD_NAME


class CreateConfigurationRequest(V1Request):
    name: str
    value: Value
    secret: bool = False
    buildtime: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if reason := name_reason(value):
            raise ValueError(reason)
        return value


class UpdateConfigurationRequest(V1Request):
    value: Value
    secret: bool | None = None
    buildtime: bool | None = None


class BulkConfigurationRequest(V1Request):
    """`variables` and/or `raw` (dotenv lines: NAME=value, `#` comments, optional
    `export `, quotes stripped); every entry takes `secret` and `buildtime`."""

    variables: dict[str, str] = {}
    raw: str | None = None
    secret: bool = False
    buildtime: bool = False


class BulkConfigurationResponse(V1Response):
    created: list[str] = []
    skipped: list[str] = []
    errors: list[dict] = []


class ConfigurationSummary(V1Response):
    id: str
    name: str
    value: str
    secret: bool = False
    buildtime: bool = False
    created: Timestamp = None
    updated: Timestamp = None


class OkResponse(V1Response):
    ok: bool = True
