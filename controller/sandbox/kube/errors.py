"""Kubernetes `Status` failures: every error the fake API server answers is one of these."""

from dataclasses import dataclass, field

from controller.sandbox.kube.resources import ResourceType

NOT_FOUND = '{qualified} "{name}" not found'
ALREADY_EXISTS = '{qualified} "{name}" already exists'
CONFLICT = ('Operation cannot be fulfilled on {qualified} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again")
INVALID = '{kind} "{name}" is invalid: {details}'
TERMINATING = ('{qualified} "{name}" is forbidden: unable to create new content in namespace {namespace} '
               "because it is being terminated")


@dataclass
class Cause:
    reason: str
    message: str
    field: str

    def body(self) -> dict:
        return {"reason": self.reason, "message": self.message, "field": self.field}


@dataclass
class KubeError(Exception):
    code: int
    reason: str
    message: str
    details: dict = field(default_factory=dict)

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def _details(resource: ResourceType, name: str, causes: list[Cause] | None = None) -> dict:
    details: dict = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    if causes:
        details["causes"] = [c.body() for c in causes]
    return details


def not_found(resource: ResourceType, name: str) -> KubeError:
    return KubeError(404, "NotFound", NOT_FOUND.format(qualified=resource.qualified, name=name),
                     _details(resource, name))


def already_exists(resource: ResourceType, name: str) -> KubeError:
    return KubeError(409, "AlreadyExists", ALREADY_EXISTS.format(qualified=resource.qualified, name=name),
                     _details(resource, name))


def conflict(resource: ResourceType, name: str) -> KubeError:
    return KubeError(409, "Conflict", CONFLICT.format(qualified=resource.qualified, name=name),
                     _details(resource, name))


def invalid(resource: ResourceType, name: str, causes: list[Cause]) -> KubeError:
    kind = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
    text = ", ".join(f"{c.field}: {c.message}" for c in causes)
    if len(causes) > 1:
        text = f"[{text}]"
    return KubeError(422, "Invalid", INVALID.format(kind=kind, name=name, details=text),
                     _details(resource, name, causes))


def terminating(resource: ResourceType, name: str, namespace: str) -> KubeError:
    return KubeError(403, "Forbidden", TERMINATING.format(qualified=resource.qualified, name=name,
                                                          namespace=namespace), _details(resource, name))


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def method_not_allowed(message: str) -> KubeError:
    return KubeError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> KubeError:
    return KubeError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted "
                     f"media types include: application/json-patch+json, application/merge-patch+json, "
                     f"application/strategic-merge-patch+json, application/apply-patch+yaml (got {content_type})")
