"""Validated specs are shared by (environment, generation), bounded, never across generations."""

import uuid

import pytest
from pydantic import ValidationError

from controller.store.observed import _SpecCache
from tests.schemas import bodies


def _raw(image: str = "nginx:1") -> dict:
    compose = bodies.compose()
    compose["containers"][0]["imageReference"]["identifier"] = image
    return {"compose": compose, "minCapacity": 1, "maxCapacity": 1}


def test_one_generation_is_validated_once_and_another_generation_again():
    cache, environment = _SpecCache(), uuid.uuid4()
    first = cache.validated(environment, 1, _raw("nginx:1"))
    assert cache.validated(environment, 1, _raw("nginx:1")) is first
    second = cache.validated(environment, 2, _raw("nginx:2"))
    assert second is not first
    assert second.compose.containers[0].image_reference.identifier == "nginx:2"


def test_the_oldest_entry_goes_when_the_cache_is_full():
    cache = _SpecCache(size=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    spec_a = cache.validated(a, 1, _raw())
    cache.validated(b, 1, _raw())
    assert cache.validated(a, 1, _raw()) is spec_a  # a is now the most recent
    cache.validated(c, 1, _raw())  # b goes
    assert cache.validated(a, 1, _raw()) is spec_a
    assert len(cache._specs) == 2 and (b, 1) not in cache._specs


def test_a_spec_that_does_not_validate_is_not_kept():
    cache, environment = _SpecCache(), uuid.uuid4()
    with pytest.raises(ValidationError):
        cache.validated(environment, 1, {"minCapacity": 1})
    assert cache._specs == {}
