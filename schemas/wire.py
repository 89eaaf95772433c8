"""Base models for the wire: camelCase names outside, snake_case inside."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """A model whose JSON names are camelCase, as Quant Cloud's contract spells them.

    Unknown fields are ignored so that clients which post back what they read
    (read-only fields included) keep working unchanged.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    def to_wire(self) -> dict:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
