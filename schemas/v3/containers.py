"""`…/environments/{environment}/containers`: one container of the compose, replaced on its own."""

from typing import Annotated

from pydantic import Field

from schemas.v3.compose import NAME_PATTERN, Container

NAME_MISMATCH = "the body names container {given!r}, but the path names {path!r}; a container cannot be renamed here"


class UpdateContainerRequest(Container):
    """The body of `PUT …/containers/{container}`: the contract's `Container`, whose `name`
    may be left out (the path names the container) or must be the path's."""

    name: Annotated[str, Field(min_length=1, max_length=255, pattern=NAME_PATTERN)] | None = None

    def named(self, name: str) -> Container:
        """The container to store, named as the path names it."""
        return Container.model_validate({**self.to_wire(), "name": name})
