"""Base models and field types shared by the v1 shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# The database's CHECK on organisation, project and application slugs.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class V1Request(BaseModel):
    """Unknown fields are ignored: clients post back what they read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class V1Response(BaseModel):
    model_config = ConfigDict(frozen=True)


Timestamp = datetime | None
