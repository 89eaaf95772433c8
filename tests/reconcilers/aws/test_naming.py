"""Names, tokens and ownership tags (pure)."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcilers.aws.naming import workload_name
from tests.reconcilers.aws.factories import environment

# What the API admits: organisation slugs, application names, environment names.
organisations = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,62}\Z")
applications = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
environment_names = st.sampled_from(["production", "staging", "pr-1", "pr-12"])


def named(organisation: str, application: str, name: str = "production"):
    return replace(environment(), organisation=organisation, application=application, name=name)


@pytest.mark.parametrize(
    ("env", "name", "reason"),
    [
        (named("acme", "shop"), "acme_shop_production", "readable: the three parts, joined by _"),
        (named("a-b", "c"), "a-b_c_production", "dashes inside a part stay"),
        (named("a", "b-c"), "a_b-c_production", "…so the boundary is never ambiguous"),
    ],
)
def test_workload_name(env, name, reason):
    assert workload_name(env) == name, reason


def test_organisation_and_application_boundaries_never_collide():
    """With `-` as separator these two shared one service and one family."""
    assert workload_name(named("a-b", "c")) != workload_name(named("a", "b-c"))
    assert workload_name(named("a", "b", "c-d")) != workload_name(named("a", "b-c", "d"))


@settings(max_examples=300, deadline=None)
@given(
    first=st.tuples(organisations, applications, environment_names),
    second=st.tuples(organisations, applications, environment_names),
)
def test_different_environments_get_different_names(first, second):
    if first != second:
        assert workload_name(named(*first)) != workload_name(named(*second))
