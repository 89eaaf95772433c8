"""The webhook signature and the push event's meaning (pure)."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.v1.github import NO_COMMIT, parse_push, repository_key, signature_of, signature_valid

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
# GitHub's documented example: this secret and payload give exactly this signature.
GITHUB_EXAMPLE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_documented_example_verifies():
    assert signature_of(SECRET, BODY) == GITHUB_EXAMPLE
    assert signature_valid(SECRET, BODY, GITHUB_EXAMPLE)


@pytest.mark.parametrize(
    ("reason", "secret", "body", "header"),
    [
        ("no header", SECRET, BODY, None),
        ("empty header", SECRET, BODY, ""),
        ("sha1 header", SECRET, BODY, "sha1=" + hmac.new(SECRET, BODY, hashlib.sha1).hexdigest()),
        ("bare hex without the prefix", SECRET, BODY, GITHUB_EXAMPLE.removeprefix("sha256=")),
        ("another secret", b"other", BODY, GITHUB_EXAMPLE),
        ("a changed body", SECRET, BODY + b" ", GITHUB_EXAMPLE),
        ("an empty secret verifies nothing", b"", BODY, signature_of(b"", BODY)),
        ("truncated", SECRET, BODY, GITHUB_EXAMPLE[:-2]),
    ],
)
def test_signature_refused(reason, secret, body, header):
    assert not signature_valid(secret, body, header), reason


@given(st.binary(min_size=1, max_size=64), st.binary(max_size=512))
def test_a_signature_verifies_its_own_body_only(secret, body):
    header = signature_of(secret, body)
    assert signature_valid(secret, body, header)
    assert not signature_valid(secret, body + b"x", header)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Acme/Shop", "acme/shop"),
        ("https://github.com/acme/shop", "acme/shop"),
        ("https://github.com/acme/shop.git", "acme/shop"),
        ("git@github.com:acme/shop.git", "acme/shop"),
        ("github.com/acme/shop/", "acme/shop"),
    ],
)
def test_repository_key(text, key):
    assert repository_key(text) == key


def push(**changes) -> dict:
    payload = {"ref": "refs/heads/main", "after": "a" * 40, "deleted": False, "repository": {"full_name": "Acme/Shop"}}
    return {**payload, **changes}


@pytest.mark.parametrize(
    ("reason", "payload", "branch", "commit", "deploys"),
    [
        ("a branch push", push(), "main", "a" * 40, True),
        ("a tag push has no branch", push(ref="refs/tags/v1"), None, "a" * 40, False),
        ("a deleted branch", push(deleted=True, after=NO_COMMIT), "main", None, False),
        ("a branch with slashes", push(ref="refs/heads/release/1.x"), "release/1.x", "a" * 40, True),
    ],
)
def test_parse_push(reason, payload, branch, commit, deploys):
    event = parse_push(payload)
    assert (event.repository, event.branch, event.commit_sha, event.deploys) == ("acme/shop", branch, commit, deploys), reason


@pytest.mark.parametrize(
    "payload", [[], "push", {"ref": "refs/heads/main"}, {"repository": {"full_name": "a/b"}}, push(repository={})]
)
def test_parse_push_refuses_what_is_not_a_push(payload):
    with pytest.raises(ValueError):
        parse_push(payload)
