"""Base models for the wire: camelCase names outside, snake_case inside."""

import functools
from types import NoneType
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """A model whose JSON names are camelCase, as Quant Cloud's contract spells them.

    Unknown fields are ignored so that clients which post back what they read
    (read-only fields included) keep working unchanged.

    An explicit null for a nullable field with a default (the contract's `essential`,
    `minCapacity`, …) means that default: `to_wire()` leaves nulls out, so a null kept
    as such would not survive being written and read back.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if None not in data.values():
            return data
        defaulted = _null_defaulted(cls)
        return {key: value for key, value in data.items() if value is not None or key not in defaulted}

    def to_wire(self) -> dict:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


@functools.cache
def _null_defaulted(model: type[BaseModel]) -> frozenset[str]:
    """The names (both spellings) of `model`'s nullable fields with a non-null default.
    Worked out once per model: every validation of every nested model asks."""
    return frozenset(
        key
        for name, field in model.model_fields.items()
        if not field.is_required() and field.default is not None and NoneType in get_args(field.annotation)
        for key in (name, field.alias or name)
    )
