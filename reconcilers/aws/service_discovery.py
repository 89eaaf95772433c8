"""Cloud Map: an organisation's private DNS namespace and an environment's discovery service.

Namespaces are made asynchronously: CreatePrivateDnsNamespace answers with an
operation to poll. Its CreatorRequestId is derived from the namespace's name and
VPC, so a create sent again while the first is still running is answered with
`DuplicateRequest` naming that first operation, which is then polled instead.

A discovery service's CreatorRequestId is the environment's id: AWS answers a
replayed create with the service it already made, and the id tells whose a
same-named service is (GetService returns it).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call, call_unless_absent, error_code
from reconcilers.aws.environment_network.plan import DISCOVERY_TTL, ObservedDiscovery
from reconcilers.results import PermanentError

PRIVATE_DNS = "DNS_PRIVATE"
SUCCESS = "SUCCESS"
FAIL = "FAIL"
NAMESPACE_GONE = ("NamespaceNotFound",)
SERVICE_GONE = ("ServiceNotFound",)
IN_USE = "ResourceInUse"
DUPLICATE = "DuplicateRequest"
CONFLICTING_DOMAIN = "ConflictingDomainExists"

OPERATION_FAILED = "creating namespace {name} failed: {reason}"
DOMAIN_CONFLICT = "namespace {name} conflicts with a namespace already in VPC {vpc}: {message}"


class DiscoveryNameTaken(Exception):
    """A same-named service in the namespace belongs to something else."""

    def __init__(self, name: str, creator: str):
        super().__init__(f"discovery service {name} was created by {creator or 'someone else'}")
        self.name = name


@dataclass(frozen=True, slots=True)
class NamespaceProgress:
    namespace_id: str | None  # None while the operation runs
    operation_id: str


def _tags(tags: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]


async def find_namespace(sd: Any, name: str, known_id: str | None = None) -> str | None:
    """The id of the private DNS namespace of that name: by its last known id (one
    GetNamespace), else by listing."""
    if known_id:
        answer = await call_unless_absent(sd.get_namespace, absent=NAMESPACE_GONE, Id=known_id)
        found = (answer or {}).get("Namespace")
        if found and found.get("Name") == name and found.get("Type") == PRIVATE_DNS:
            return found["Id"]
    answer = await call(
        sd.list_namespaces, Filters=[{"Name": "NAME", "Values": [name], "Condition": "EQ"}]
    )
    # Filtered by AWS; moto ignores the filter, so look again here.
    ids = sorted(
        n["Id"] for n in answer.get("Namespaces", ()) if n.get("Name") == name and n.get("Type") == PRIVATE_DNS
    )
    return ids[0] if ids else None


async def create_namespace(
    sd: Any, name: str, vpc_id: str, request_id: str, description: str, tags: Iterable[tuple[str, str]]
) -> NamespaceProgress:
    try:
        answer = await call(
            sd.create_private_dns_namespace,
            Name=name,
            CreatorRequestId=request_id,
            Vpc=vpc_id,
            Description=description,
            Tags=_tags(tags),
        )
        operation_id = answer["OperationId"]
    except ClientError as exc:
        code = error_code(exc)
        if code == CONFLICTING_DOMAIN:
            message = exc.response.get("Error", {}).get("Message", "")
            raise PermanentError(code, DOMAIN_CONFLICT.format(name=name, vpc=vpc_id, message=message)) from exc
        if code != DUPLICATE:
            raise
        operation_id = exc.response.get("DuplicateOperationId") or exc.response.get("Error", {}).get(
            "DuplicateOperationId", ""
        )
        if not operation_id:
            raise
    return await namespace_operation(sd, name, operation_id)


async def namespace_operation(sd: Any, name: str, operation_id: str) -> NamespaceProgress:
    operation = (await call(sd.get_operation, OperationId=operation_id))["Operation"]
    status = operation.get("Status")
    if status == FAIL:
        reason = operation.get("ErrorMessage") or operation.get("ErrorCode") or "unknown"
        raise PermanentError("NamespaceCreationFailed", OPERATION_FAILED.format(name=name, reason=reason))
    if status == SUCCESS:
        return NamespaceProgress(operation.get("Targets", {}).get("NAMESPACE"), operation_id)
    return NamespaceProgress(None, operation_id)


def _observed(service: dict[str, Any]) -> ObservedDiscovery:
    records = (service.get("DnsConfig") or {}).get("DnsRecords") or ()
    ttl = next((r.get("TTL") for r in records if r.get("Type") == "A"), None)
    return ObservedDiscovery(service["Id"], service["Arn"], service["Name"], service.get("NamespaceId", ""), ttl)


async def get_service(sd: Any, service_id: str) -> dict[str, Any] | None:
    answer = await call_unless_absent(sd.get_service, absent=SERVICE_GONE, Id=service_id)
    return (answer or {}).get("Service")


async def find_discovery(
    sd: Any, *, owner: str, known_id: str | None, name: str | None, namespace_id: str | None
) -> ObservedDiscovery | None:
    """The environment's service: by its last known id, else by name in the namespace.
    Raises `DiscoveryNameTaken` when the name there is another's."""
    if known_id:
        service = await get_service(sd, known_id)
        if service and service.get("CreatorRequestId") == owner:
            return _observed(service)
    if not (name and namespace_id):
        return None
    answer = await call(
        sd.list_services, Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
    )
    for summary in answer.get("Services", ()):
        if summary.get("Name") != name:
            continue
        service = await get_service(sd, summary["Id"])
        if not service or service.get("NamespaceId") != namespace_id:
            continue  # moto ignores the filter: another namespace's
        if service.get("CreatorRequestId") != owner:
            raise DiscoveryNameTaken(name, service.get("CreatorRequestId", ""))
        return _observed(service)
    return None


def dns_config(ttl: int) -> dict[str, Any]:
    return {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": ttl}]}


async def create_discovery(
    sd: Any,
    name: str,
    namespace_id: str,
    request_id: str,
    tags: Iterable[tuple[str, str]],
    ttl: int = DISCOVERY_TTL,
) -> ObservedDiscovery:
    """A and MULTIVALUE: one record per healthy task (ECS registers awsvpc tasks by IP);
    health from ECS itself (custom health, failure threshold 1)."""
    answer = await call(
        sd.create_service,
        Name=name,
        NamespaceId=namespace_id,
        CreatorRequestId=request_id,
        DnsConfig=dns_config(ttl),
        HealthCheckCustomConfig={"FailureThreshold": 1},
        Tags=_tags(tags),
    )
    return _observed(answer["Service"])


async def update_discovery_dns(sd: Any, service_id: str, ttl: int) -> None:
    records = {"DnsRecords": [{"Type": "A", "TTL": ttl}]}
    await call(sd.update_service, Id=service_id, Service={"DnsConfig": records})


async def delete_discovery(sd: Any, service_id: str) -> bool | None:
    """True deleted, None already gone, False still has instances (ECS deregisters them
    as its tasks stop): try again later."""
    try:
        answer = await call_unless_absent(sd.delete_service, absent=SERVICE_GONE, Id=service_id)
    except ClientError as exc:
        if error_code(exc) == IN_USE:
            return False
        raise
    return None if answer is None else True


async def delete_namespace(sd: Any, namespace_id: str) -> bool | None:
    """As `delete_discovery`; False while services remain in it."""
    try:
        answer = await call_unless_absent(sd.delete_namespace, absent=NAMESPACE_GONE, Id=namespace_id)
    except ClientError as exc:
        if error_code(exc) == IN_USE:
            return False
        raise
    return None if answer is None else True
