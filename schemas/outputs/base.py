"""What every kind's outputs model is: a frozen record of what the kind publishes.

A kind's reconciler writes its model into its status; other kinds, the API's views and
the CLI parse the same model back. The stored form is the model's camelCase JSON, so
the rows in PostgreSQL read as they always have.
"""

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from schemas.kinds import Kind


class OutputsModel(BaseModel):
    """camelCase outside, snake_case inside; unknown stored keys (a field an older
    berth wrote and this one dropped) are ignored rather than refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == () or value == {}


class Outputs(OutputsModel):
    """One kind's outputs. Each model also says when it is ready, its own way: a `ready`
    field for the kinds that judge it themselves, else a property (`SetWhenReady`)."""

    kind: ClassVar[Kind]
    # Left out of the stored form while None (outputs that are there only sometimes).
    omitted_when_none: ClassVar[frozenset[str]] = frozenset()

    def missing(self, needed: Iterable[str]) -> tuple[str, ...]:
        """What keeps a dependent that needs the `needed` fields waiting: `ready` while
        the kind is not, then the stored names of the needed fields that are empty."""
        empty = tuple(self.stored_name(n) for n in needed if _empty(getattr(self, n)))
        judged = "ready" in type(self).model_fields
        return (("ready",) if judged and not getattr(self, "ready") else ()) + empty

    @classmethod
    def stored_name(cls, field: str) -> str:
        return cls.model_fields[field].alias or field

    @classmethod
    def stored(cls, raw: Mapping[str, Any] | None) -> Self | None:
        """The model of a stored outputs object (None: not written yet)."""
        return None if raw is None else cls.model_validate(raw)

    def to_stored(self) -> dict[str, Any]:
        exclude = {name for name in self.omitted_when_none if getattr(self, name) is None}
        return self.model_dump(mode="json", by_alias=True, exclude=exclude or None)


class SetWhenReady(Outputs):
    """For a kind that is ready once every one of its `essential` outputs is set."""

    essential: ClassVar[tuple[str, ...]] = ()

    @property
    def ready(self) -> bool:
        return not self.missing(self.essential)
