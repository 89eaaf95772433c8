"""Names berth gives Kubernetes objects: DNS-1123 labels, hashed when too long (pure)."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.kube.naming import LABEL_LIMIT, dns_label, namespace_name, process_name
from tests.reconcilers.kube.factories import application

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize(
    ("reason", "parts", "want"),
    [
        ("plain parts join with a dash", ("acme", "shop"), "acme-shop"),
        ("digits and dashes pass", ("a-1", "b2"), "a-1-b2"),
    ],
)
def test_plain_names_stay_readable(reason, parts, want):
    assert dns_label(*parts) == want, reason


def test_folded_names_are_told_apart_by_a_hash():
    folded = dns_label("Acme_Co", "shop")
    assert DNS_LABEL.match(folded)
    assert folded.startswith("acme-co-shop-")
    assert folded != dns_label("acme-co", "shop")


def test_long_names_keep_a_prefix_and_a_hash():
    name = dns_label("o" * 40, "p" * 40)
    assert len(name) == LABEL_LIMIT and DNS_LABEL.match(name)
    assert name != dns_label("o" * 40, "p" * 41)


def test_namespace_per_organisation_and_project():
    assert namespace_name(application()) == "acme-shop"
    assert process_name(application(), "web") == "store-web"


@given(st.lists(st.text(min_size=1, max_size=70), min_size=1, max_size=3))
def test_every_name_is_a_dns_label(parts):
    name = dns_label(*parts)
    assert len(name) <= LABEL_LIMIT and DNS_LABEL.match(name)


@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_different_inputs_different_names(a, b):
    if a != b:
        assert dns_label(a) != dns_label(b)
