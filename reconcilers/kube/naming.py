"""Names and ownership labels of what berth makes in a cluster.

Every name is a DNS-1123 label (lowercase letters, digits and `-`, starting and ending
alphanumeric, at most 63 characters): the strictest rule among the kinds berth makes
(Namespace and Service names are labels, and a Deployment's name prefixes its pods'
names). A name that would be too long keeps a readable prefix and ends in a hash of the
whole, so two long names never collide.
"""

import hashlib
import re

from reconcilers.kube.ports import KubeApplication

LABEL_LIMIT = 63
HASH_LENGTH = 8
# Deployment names get a pod-template hash and a pod suffix appended (`-5d8f7b9c6-x2x7q`,
# 17 characters): keep them short enough that pod names stay whole.
WORKLOAD_LIMIT = LABEL_LIMIT - 17

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY = "berth"
NAME_KEY = "app.kubernetes.io/name"
COMPONENT_KEY = "app.kubernetes.io/component"
APPLICATION_ID_KEY = "berth.dev/application-id"
RELEASE_KEY = "berth.dev/release"
PROCESS_KEY = "berth.dev/process"
IMAGE_ID_KEY = "berth.dev/image-id"
ORGANISATION_KEY = "berth.dev/organisation"
PROJECT_KEY = "berth.dev/project"
APPLIED_KEY = "berth.dev/applied"  # annotation: hash of the manifest berth last applied

NOT_DNS = re.compile(r"[^a-z0-9-]+")
EDGE_DASHES = re.compile(r"^-+|-+$")


def dns_label(*parts: str, limit: int = LABEL_LIMIT) -> str:
    """`parts` joined with `-`, lowercased, other characters folded to `-`; when longer
    than `limit`, a prefix and `-` and the first 8 hex digits of the whole's sha256."""
    whole = "-".join(parts)
    name = EDGE_DASHES.sub("", NOT_DNS.sub("-", whole.lower()))
    if name == whole and 0 < len(name) <= limit:
        return name
    # Folded or too long: the hash of the whole keeps `a_b` apart from `a-b`.
    digest = hashlib.sha256(whole.encode()).hexdigest()[:HASH_LENGTH]
    prefix = name[: limit - HASH_LENGTH - 1].rstrip("-")
    return f"{prefix}-{digest}" if prefix else digest


def namespace_name(app: KubeApplication) -> str:
    """One namespace per organisation + project: `{organisation}-{project}`."""
    return dns_label(app.organisation, app.project)


def process_name(app: KubeApplication, process: str) -> str:
    """The Deployment (and PodDisruptionBudget) of one process: `{application}-{process}`."""
    return dns_label(app.slug, process, limit=WORKLOAD_LIMIT)


def service_name(app: KubeApplication) -> str:
    """The Service in front of `web`: the application's slug."""
    return dns_label(app.slug)


def secret_name(app: KubeApplication) -> str:
    return dns_label(app.slug, "config")


def build_job_name(app: KubeApplication, version: int) -> str:
    return dns_label(app.slug, "build", str(version), limit=WORKLOAD_LIMIT)


def application_labels(app: KubeApplication) -> dict[str, str]:
    """The labels that make an object this application's: berth selects by them and
    touches nothing without them."""
    return {
        MANAGED_BY_KEY: MANAGED_BY,
        NAME_KEY: dns_label(app.slug),
        APPLICATION_ID_KEY: str(app.id),
    }


def application_selector(app: KubeApplication) -> str:
    """A label selector for everything berth made for this application."""
    return f"{MANAGED_BY_KEY}={MANAGED_BY},{APPLICATION_ID_KEY}={app.id}"


def namespace_labels(app: KubeApplication) -> dict[str, str]:
    return {
        MANAGED_BY_KEY: MANAGED_BY,
        ORGANISATION_KEY: dns_label(app.organisation),
        PROJECT_KEY: dns_label(app.project),
    }


def release_label(version: int) -> str:
    return f"v{version}"
