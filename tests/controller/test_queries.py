import pytest

from controller.store.queries import QUERIES, parse


def test_parse_splits_named_blocks_and_strips_them():
    text = """
-- name: first
SELECT 1

-- name: second
-- a comment that belongs to the query
SELECT 2
FROM t
"""
    assert parse(text) == {
        "first": "SELECT 1",
        "second": "-- a comment that belongs to the query\nSELECT 2\nFROM t",
    }


@pytest.mark.parametrize(
    ("text", "expected", "reason"),
    [
        ("", {}, "nothing to parse"),
        ("SELECT 1", {}, "text before the first block belongs to no query"),
        ("-- header\n-- name: only\nSELECT 1", {"only": "SELECT 1"}, "a preamble is skipped"),
        ("-- name: trailing   \nSELECT 1", {"trailing": "SELECT 1"}, "spaces after the name are allowed"),
        ("-- name: a\n  -- name: b\nSELECT 1", {"a": "-- name: b\nSELECT 1"}, "an indented marker is text"),
        ("-- name: empty\n-- name: full\nSELECT 1", {"empty": "", "full": "SELECT 1"}, "an empty block is kept"),
    ],
)
def test_parse_cases(text, expected, reason):
    assert parse(text) == expected, reason


def test_parse_refuses_a_name_defined_twice():
    with pytest.raises(ValueError, match="twice"):
        parse("-- name: claim\nSELECT 1\n-- name: claim\nSELECT 2")


def test_every_shipped_query_is_loaded_and_not_empty():
    names = vars(QUERIES)
    for needed in ("enqueue", "claim", "finish", "forget", "renew_leases", "release_leases", "hold_lease"):
        assert needed in names
    assert all(body.strip() for body in names.values())
