"""Properties: the wire round trip is lossless, and conditions keep their transition time."""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck as Health
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.fargate import TASK_MEMORY_BY_CPU
from schemas.status import Condition, ConditionType, set_condition
from schemas.v3 import compose as cmp
from schemas.v3.applications import APP_NAME_PATTERN, CreateApplicationRequest

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[Health.too_slow])

SIZES = [(cpu, memory) for cpu, memories in TASK_MEMORY_BY_CPU.items() for memory in memories]
NAME = st.from_regex(r"[a-zA-Z0-9_-]{1,24}", fullmatch=True)
ADDRESS = st.one_of(st.ip_addresses().map(str), st.ip_addresses(v=4).map(lambda a: f"{a}/24"))
VARIABLE = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
TEXT = st.text(max_size=12)
WORDS = st.lists(TEXT, max_size=3)
FLAG = st.sampled_from([True, False, None])


def maybe(strategy):
    return st.none() | strategy


health_checks = st.fixed_dictionaries(
    {"command": WORDS},
    optional={
        "interval": st.integers(5, 300),
        "timeout": st.integers(2, 60),
        "retries": st.integers(1, 10),
        "startPeriod": maybe(st.integers(0, 300)),
    },
)
origin_protection = st.fixed_dictionaries(
    {}, optional={"enabled": st.booleans(), "ipAllow": maybe(st.lists(ADDRESS, max_size=2)), "redirectHost": maybe(TEXT)}
)
mount_points = st.fixed_dictionaries(
    {"sourceVolume": TEXT.filter(bool), "containerPath": TEXT.map(lambda path: "/" + path)},
    optional={"readOnly": st.booleans()},
)


@st.composite
def containers(draw, name: str, earlier: list[str], cpu_share: int, task_memory: int, essential: bool) -> dict:
    body = {
        "name": name,
        "imageReference": {"type": draw(st.sampled_from(["internal", "external"])), "identifier": draw(st.text(min_size=1, max_size=40))},
    }
    memory = draw(maybe(st.integers(4, task_memory)))
    optional = {
        "cpu": maybe(st.integers(0, cpu_share)),
        "memory": st.just(memory),
        "memoryReservation": maybe(st.integers(4, memory or task_memory)),
        "exposedPorts": maybe(st.lists(st.integers(1, 65535), max_size=3)),
        "mountPoints": maybe(st.lists(mount_points, max_size=2)),
        "environment": maybe(st.lists(st.fixed_dictionaries({"name": VARIABLE, "value": TEXT}), max_size=3)),
        "secrets": maybe(st.lists(st.fixed_dictionaries({"name": VARIABLE, "valueFrom": TEXT.filter(bool)}), max_size=2)),
        "healthCheck": maybe(health_checks),
        "dependsOn": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"containerName": st.sampled_from(earlier)},
                    optional={"condition": st.sampled_from([c.value for c in cmp.DependencyCondition])},
                ),
                max_size=2,
            )
            if earlier
            else st.just([])
        ),
        "command": maybe(WORDS),
        "entryPoint": maybe(WORDS),
        "workingDirectory": maybe(TEXT),
        "essential": st.sampled_from([True, None]) if essential else FLAG,
        "readonlyRootFilesystem": FLAG,
        "user": maybe(TEXT),
        "originProtection": FLAG,
        "originProtectionConfig": maybe(origin_protection),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


@st.composite
def composes(draw) -> dict:
    """A valid Compose body: unique names, dependencies only on earlier containers (so no cycles),
    one essential container, a Fargate size, cpu that adds up within it, capacities in order."""
    names = draw(st.lists(NAME, min_size=1, max_size=4, unique=True))
    task_cpu, task_memory = draw(st.sampled_from(SIZES))
    essential = draw(st.integers(0, len(names) - 1))
    body = {
        "containers": [
            draw(containers(name, names[:i], task_cpu // len(names), task_memory, essential=i == essential))
            for i, name in enumerate(names)
        ]
    }
    low = draw(st.integers(0, 1000))
    optional = {
        "architecture": st.sampled_from(["X86_64", "ARM64", "x86_64", "arm64"]),
        "taskCpu": st.just(task_cpu),
        "taskMemory": st.just(task_memory),
        "minCapacity": maybe(st.just(low)),
        "maxCapacity": maybe(st.integers(low, 1000)),
        "spotConfiguration": maybe(st.fixed_dictionaries({}, optional={"strategy": st.sampled_from([s.value for s in cmp.SpotStrategy])})),
        "enableCrossEnvNetworking": FLAG,
        "enableCrossAppNetworking": FLAG,
    }
    if (task_cpu, task_memory) != (256, 512):
        optional.pop("taskCpu")
        optional.pop("taskMemory")
        body.update(taskCpu=task_cpu, taskMemory=task_memory)
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


def over_the_wire(model) -> dict:
    """`to_wire()` as a client would receive it: through JSON text."""
    return json.loads(json.dumps(model.to_wire()))


@FAST
@given(composes())
def test_compose_wire_round_trip_is_lossless(body):
    compose = cmp.Compose.model_validate(body)
    wire = over_the_wire(compose)
    assert cmp.Compose.model_validate(wire) == compose
    assert over_the_wire(cmp.Compose.model_validate(wire)) == wire
    assert cmp.Compose.model_validate(compose.model_dump()) == compose  # snake_case, as stored in Python


@FAST
@given(
    st.from_regex(APP_NAME_PATTERN, fullmatch=True),
    composes(),
    maybe(st.integers(0, 3)),
    maybe(st.integers(3, 1000)),
)
def test_create_request_survives_being_stored_and_read_back(app_name, compose, low, high):
    body = {"appName": app_name, "composeDefinition": compose, "minCapacity": low, "maxCapacity": high}
    compose_min, compose_max = compose.get("minCapacity"), compose.get("maxCapacity")
    desired_min = compose_min if compose_min is not None else (low if low is not None else 1)
    desired_max = compose_max if compose_max is not None else (high if high is not None else 1)
    if desired_min > desired_max:
        return  # rejected, as test_validation.py shows
    request = CreateApplicationRequest.model_validate(body)
    stored = CreateApplicationRequest.model_validate(over_the_wire(request))
    assert stored == request
    assert (stored.desired_min_capacity, stored.desired_max_capacity) == (desired_min, desired_max)


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
times = st.integers(0, 10**6).map(lambda s: EPOCH + timedelta(seconds=s))
conditions = st.builds(
    Condition,
    type=st.sampled_from(list(ConditionType)),
    status=st.booleans(),
    reason=st.sampled_from(["Deployed", "Deploying", "TaskFailed"]),
    message=TEXT,
    last_transition_time=times,
)
condition_lists = st.lists(conditions, max_size=3, unique_by=lambda c: c.type)


@FAST
@given(condition_lists, conditions)
def test_set_condition_keeps_the_transition_time_unless_the_status_flips(existing, new):
    old = next((c for c in existing if c.type == new.type), None)
    result = set_condition(existing, new)
    [written] = [c for c in result if c.type == new.type]
    if old is not None and old.status == new.status:
        assert written.last_transition_time == old.last_transition_time
    else:
        assert written.last_transition_time == new.last_transition_time
    assert (written.status, written.reason, written.message) == (new.status, new.reason, new.message)
    assert [c for c in result if c.type != new.type] == sorted((c for c in existing if c.type != new.type), key=lambda c: c.type)
    assert [c.type for c in result] == sorted({*(c.type for c in existing), new.type})


def ready(status: bool, at: datetime, reason: str = "Deployed") -> Condition:
    return Condition(type=ConditionType.READY, status=status, reason=reason, last_transition_time=at)


def test_set_condition_unchanged_status_keeps_the_time_but_takes_the_new_reason():
    first = ready(True, EPOCH)
    later = ready(True, EPOCH + timedelta(hours=1), reason="StillDeployed")
    [written] = set_condition([first], later)
    assert written.last_transition_time == EPOCH
    assert written.reason == "StillDeployed"


def test_set_condition_flipped_status_takes_the_new_time():
    [written] = set_condition([ready(True, EPOCH)], ready(False, EPOCH + timedelta(hours=1)))
    assert (written.status, written.last_transition_time) == (False, EPOCH + timedelta(hours=1))


def test_conditions_round_trip_the_wire():
    condition = ready(True, EPOCH)
    wire = over_the_wire(condition)
    assert wire == {"type": "Ready", "status": True, "reason": "Deployed", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}
    assert Condition.model_validate(wire) == condition
