"""`…/environments/{environment}/containers`: one container of the compose, replaced on its own."""

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from schemas.v3.compose import NAME_PATTERN, RESERVATION_ABOVE_LIMIT, Container

NAME_MISMATCH = "the body names container {given!r}, but the path names {path!r}; a container cannot be renamed here"


class UpdateContainerRequest(Container):
    """The body of `PUT …/containers/{container}`: the contract's `Container`, whose `name`
    may be left out (the path names the container) or must be the path's."""

    # Widens `Container.name` on purpose (the body may leave it out); the request is never
    # used as a `Container` (`named()` builds one), so the broken substitutability is harmless.
    name: Annotated[str, Field(min_length=1, max_length=255, pattern=NAME_PATTERN)] | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _reservation_within_limit(self) -> "UpdateContainerRequest":
        """Replaces `Container`'s check of the same name by the field check below, which
        names `memoryReservation` in the 400."""
        return self

    @field_validator("memory_reservation")
    @classmethod
    def _reservation_not_above_memory(cls, reservation: int | None, info: ValidationInfo) -> int | None:
        memory = info.data.get("memory")
        if memory and reservation and reservation > memory:
            raise ValueError(RESERVATION_ABOVE_LIMIT)
        return reservation

    def named(self, name: str) -> Container:
        """The container to store, named as the path names it."""
        return Container.model_validate({**self.to_wire(), "name": name})
