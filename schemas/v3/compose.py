"""`Compose` and `Container`: the workload of one environment, as Quant Cloud spells it."""

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from schemas.fargate import DEFAULT_TASK_CPU, DEFAULT_TASK_MEMORY, check_task_size
from schemas.wire import CamelModel

NAME_PATTERN = r"^[a-zA-Z0-9_-]+$"
Port = Annotated[int, Field(ge=1, le=65535)]
Units = Annotated[int, Field(ge=0)]
MiB = Annotated[int, Field(ge=4)]

DUPLICATE_CONTAINER = "container names must be unique; {name!r} appears more than once"
UNKNOWN_DEPENDENCY = "dependsOn names {name!r}, which is not a container of this compose"
SELF_DEPENDENCY = "a container cannot depend on itself"
CYCLIC_DEPENDENCY = "dependsOn forms a cycle, so none of its containers could start: {cycle}"
NO_ESSENTIAL = "at least one container must be essential"
RESERVATION_ABOVE_LIMIT = "memoryReservation must not exceed memory"
CAPACITY_ORDER = "minCapacity must not exceed maxCapacity"
NOT_AN_ADDRESS = "ipAllow entry {entry!r} is not an IP address or CIDR block"
CONTAINER_CPU_ABOVE_TASK = "the containers' cpu adds up to {total}, more than taskCpu {task}"
CONTAINER_MEMORY_ABOVE_TASK = "container {name!r} asks for {memory} MiB, more than taskMemory {task}"


class ImageType(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class ImageReference(CamelModel):
    type: ImageType
    identifier: Annotated[str, Field(min_length=1, max_length=255)]


class MountPoint(CamelModel):
    source_volume: Annotated[str, Field(min_length=1)]
    container_path: Annotated[str, Field(min_length=1, pattern=r"^/")]
    read_only: bool = False


class EnvironmentVariable(CamelModel):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    value: str


class SecretReference(CamelModel):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    value_from: Annotated[str, Field(min_length=1)]


class HealthCheck(CamelModel):
    command: list[str] = Field(default_factory=list)
    interval: Annotated[int, Field(ge=5, le=300)] = 30
    timeout: Annotated[int, Field(ge=2, le=60)] = 5
    retries: Annotated[int, Field(ge=1, le=10)] = 3
    start_period: Annotated[int | None, Field(ge=0, le=300)] = None


class DependencyCondition(StrEnum):
    START = "START"
    HEALTHY = "HEALTHY"
    COMPLETE = "COMPLETE"
    SUCCESS = "SUCCESS"


class ContainerDependency(CamelModel):
    container_name: Annotated[str, Field(min_length=1)]
    condition: DependencyCondition = DependencyCondition.START


class OriginProtectionConfig(CamelModel):
    enabled: bool = True
    ip_allow: list[str] | None = None
    redirect_host: str | None = None

    @field_validator("ip_allow")
    @classmethod
    def _addresses(cls, entries: list[str] | None) -> list[str] | None:
        for entry in entries or ():
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(NOT_AN_ADDRESS.format(entry=entry)) from None
        return entries


class Container(CamelModel):
    name: Annotated[str, Field(min_length=1, max_length=255, pattern=NAME_PATTERN)]
    image_reference: ImageReference
    cpu: Units | None = None
    memory: MiB | None = None
    memory_reservation: MiB | None = None
    exposed_ports: list[Port] | None = None
    mount_points: list[MountPoint] | None = None
    environment: list[EnvironmentVariable] | None = None
    secrets: list[SecretReference] | None = None
    health_check: HealthCheck | None = None
    depends_on: list[ContainerDependency] | None = None
    command: list[str] | None = None
    entry_point: list[str] | None = None
    working_directory: str | None = None
    essential: bool | None = True
    readonly_root_filesystem: bool | None = False
    user: str | None = None
    origin_protection: bool | None = False
    origin_protection_config: OriginProtectionConfig | None = None

    @model_validator(mode="after")
    def _reservation_within_limit(self) -> "Container":
        if self.memory and self.memory_reservation and self.memory_reservation > self.memory:
            raise ValueError(RESERVATION_ABOVE_LIMIT)
        return self


class SpotStrategy(StrEnum):
    OFF = "off"
    SPOT_ONLY = "spot-only"
    MIXED_SAFE = "mixed-safe"
    MIXED_AGGRESSIVE = "mixed-aggressive"


class SpotConfiguration(CamelModel):
    strategy: SpotStrategy = SpotStrategy.SPOT_ONLY


class Compose(CamelModel):
    containers: Annotated[list[Container], Field(min_length=1, max_length=10)]
    architecture: Literal["X86_64", "ARM64"] = "X86_64"
    task_cpu: int = DEFAULT_TASK_CPU
    task_memory: int = DEFAULT_TASK_MEMORY
    min_capacity: Annotated[int, Field(ge=0, le=1000)] | None = None
    max_capacity: Annotated[int, Field(ge=0, le=1000)] | None = None
    spot_configuration: SpotConfiguration | None = None
    enable_cross_env_networking: bool | None = False
    enable_cross_app_networking: bool | None = False

    @field_validator("architecture", mode="before")
    @classmethod
    def _upper_architecture(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> "Compose":
        check_task_size(self.task_cpu, self.task_memory)
        names = [c.name for c in self.containers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(DUPLICATE_CONTAINER.format(name=name))
        for container in self.containers:
            for dependency in container.depends_on or ():
                if dependency.container_name == container.name:
                    raise ValueError(SELF_DEPENDENCY)
                if dependency.container_name not in names:
                    raise ValueError(UNKNOWN_DEPENDENCY.format(name=dependency.container_name))
        cycle = _dependency_cycle(self.containers)
        if cycle:
            raise ValueError(CYCLIC_DEPENDENCY.format(cycle=" → ".join(cycle)))
        for container in self.containers:
            memory = max(container.memory or 0, container.memory_reservation or 0)
            if memory > self.task_memory:
                raise ValueError(
                    CONTAINER_MEMORY_ABOVE_TASK.format(
                        name=container.name, memory=memory, task=self.task_memory
                    )
                )
        if not any(c.essential is not False for c in self.containers):
            raise ValueError(NO_ESSENTIAL)
        total_cpu = sum(c.cpu or 0 for c in self.containers)
        if total_cpu > self.task_cpu:
            raise ValueError(CONTAINER_CPU_ABOVE_TASK.format(total=total_cpu, task=self.task_cpu))
        if (
            self.min_capacity is not None
            and self.max_capacity is not None
            and self.min_capacity > self.max_capacity
        ):
            raise ValueError(CAPACITY_ORDER)
        return self


def _dependency_cycle(containers: list[Container]) -> list[str] | None:
    """The first dependsOn cycle found, as the names along it (first name repeated at the end)."""
    graph = {c.name: [d.container_name for d in c.depends_on or ()] for c in containers}
    acyclic: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in acyclic:
            return None
        for dependency in graph[name]:
            if found := visit(dependency, [*path, name]):
                return found
        acyclic.add(name)
        return None

    for name in graph:
        if found := visit(name, []):
            return found
    return None
