"""Pagination, observability windows and release change records (pure)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.v1.observability import RANGES, window
from schemas.v1.pagination import MAX_PER_PAGE, PageQuery, pagination_meta
from schemas.v1.releases import configuration_changes, image_changes, visible_configuration


@pytest.mark.parametrize(
    ("reason", "page", "per_page", "total", "offset", "total_pages"),
    [
        ("empty list", 1, 20, 0, 0, 0),
        ("one partial page", 1, 20, 5, 0, 1),
        ("exactly full", 2, 10, 20, 10, 2),
        ("past the last page", 9, 10, 20, 80, 2),
    ],
)
def test_pagination(reason, page, per_page, total, offset, total_pages):
    query = PageQuery(page=page, per_page=per_page)
    meta = pagination_meta(query, total)
    assert (query.offset, meta.total_pages, meta.total) == (offset, total_pages, total), reason


@pytest.mark.parametrize("params", [{"page": "0"}, {"per_page": "0"}, {"per_page": str(MAX_PER_PAGE + 1)}, {"page": "x"}])
def test_bad_pages_are_refused(params):
    with pytest.raises(ValidationError):
        PageQuery.model_validate(params)


@given(st.integers(1, 50), st.integers(1, MAX_PER_PAGE), st.integers(0, 10_000))
def test_the_pages_cover_every_item_once(page, per_page, total):
    meta = pagination_meta(PageQuery(page=page, per_page=per_page), total)
    assert meta.total_pages * per_page >= total > (meta.total_pages - 1) * per_page or total == 0


NOW = datetime(2026, 1, 2, tzinfo=UTC)


def test_window_ranges():
    assert window(None, NOW).range == "1h"
    seven = window("7d", NOW)
    assert (seven.start, seven.end, seven.bucket_seconds) == (NOW - timedelta(days=7), NOW, 3600)
    for name, (span, bucket) in RANGES.items():
        assert span.total_seconds() / bucket <= 200, name


@pytest.mark.parametrize("bad", ["2h", "1H", "forever", "-1h", " 1h"])
def test_window_refuses_unknown_ranges(bad):
    with pytest.raises(ValueError):
        window(bad, NOW)


def entry(value: str, secret: bool = False, sealed: str | None = None) -> dict:
    return {"value": "" if secret else value, "secret": secret, "buildtime": False, "sealed_value": sealed}


def test_configuration_changes_name_added_removed_and_changed():
    before = {"A": entry("1"), "B": entry("2"), "S": entry("", True, "tok1")}
    after = {"A": entry("1"), "B": entry("3"), "C": entry("4"), "S": entry("", True, "tok2")}
    assert configuration_changes(before, after) == {"added": ["C"], "removed": [], "changed": ["B", "S"]}
    assert configuration_changes(None, after)["added"] == ["A", "B", "C", "S"]


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5), max_size=8))
def test_a_configuration_compared_with_itself_has_no_changes(values):
    snapshot = {name: entry(value) for name, value in values.items()}
    assert configuration_changes(snapshot, snapshot) == {"added": [], "removed": [], "changed": []}


def test_image_changes():
    one, two = {"id": "i1", "version": 1}, {"id": "i2", "version": 2}
    assert image_changes(None, one) == {"from": None, "to": one}
    assert image_changes(one, two) == {"from": one, "to": two}
    assert image_changes(one, one) == {}


def test_a_secret_never_shows_its_value_or_token():
    shown = visible_configuration({"S": entry("", True, "gAAAA-token"), "P": entry("plain")})
    assert shown == {
        "S": {"value": None, "secret": True, "buildtime": False},
        "P": {"value": "plain", "secret": False, "buildtime": False},
    }
    assert "gAAAA" not in str(shown)
