"""GitHub webhooks: the `X-Hub-Signature-256` check and the push event's meaning.

The signature is HMAC-SHA256 of the raw request body with the shared secret, sent as
`sha256=<hex>`; it is compared in constant time over the bytes exactly as received
(re-serialised JSON would not match).
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

SIGNATURE_PREFIX = "sha256="
BRANCH_PREFIX = "refs/heads/"
NO_COMMIT = "0" * 40  # `after` of a push that deleted the branch
_GITHUB_URL = re.compile(r"^(?:https?://|git@|ssh://git@)?(?:www\.)?github\.com[/:]", re.IGNORECASE)

NOT_AN_OBJECT = "the payload is not a JSON object"
NO_REPOSITORY = "repository.full_name is missing"
NO_REF = "ref is missing"


def signature_of(secret: bytes, body: bytes) -> str:
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """True only for a well-formed `sha256=<hex>` header that matches; an empty secret
    verifies nothing."""
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = signature_of(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().lower().encode())


def repository_key(text: str) -> str:
    """`owner/name`, lower-cased, from "owner/name", a github.com URL or an SSH remote."""
    text = _GITHUB_URL.sub("", text.strip())
    text = text.removesuffix("/").removesuffix(".git")
    return text.strip("/").lower()


@dataclass(frozen=True, slots=True)
class PushEvent:
    repository: str  # repository_key of repository.full_name
    ref: str
    branch: str | None  # None for a tag push
    commit_sha: str | None  # None when the push deleted the ref
    deleted: bool

    @property
    def deploys(self) -> bool:
        """Only a branch that still exists has something to build."""
        return self.deployed_branch is not None

    @property
    def deployed_branch(self) -> str | None:
        """The branch to build, or None when the push leaves nothing to build."""
        return self.branch if not self.deleted and self.commit_sha is not None else None


def parse_push(payload: Any) -> PushEvent:
    """The push event's repository, branch and head commit; ValueError when it has none."""
    if not isinstance(payload, dict):
        raise ValueError(NOT_AN_OBJECT)
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ValueError(NO_REPOSITORY)
    ref = payload.get("ref")
    if not isinstance(ref, str) or not ref:
        raise ValueError(NO_REF)
    after = payload.get("after")
    deleted = bool(payload.get("deleted")) or after == NO_COMMIT
    commit = after if isinstance(after, str) and after and after != NO_COMMIT else None
    branch = ref.removeprefix(BRANCH_PREFIX) if ref.startswith(BRANCH_PREFIX) else None
    return PushEvent(repository_key(name), ref, branch, commit, deleted)
