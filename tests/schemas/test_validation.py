"""Bad bodies are refused, and the error names the field (its path from the request's root)."""

import pytest
from pydantic import ValidationError

from schemas.v3 import compose as cmp
from schemas.v3.applications import CreateApplicationRequest
from tests.schemas import bodies
from tests.schemas.bodies import DELETE, changed

C = ("composeDefinition",)
C0 = ("composeDefinition", "containers", 0)
MOUNT = {"sourceVolume": "data", "containerPath": "/data"}
SECRET = {"name": "DB_PASSWORD", "valueFrom": "db-password"}
CHECK = {"command": ["CMD", "true"]}


def container(**fields):
    """A request whose single container has `fields`."""
    return bodies.request(composeDefinition=bodies.compose(bodies.container(**fields)))


def composed(*containers, **fields):
    return bodies.request(composeDefinition=bodies.compose(*containers, **fields))


def web(name="web", **fields):
    return bodies.container(name, **fields)


REQUEST = bodies.request()

REJECTED = [
    # --- required fields
    ("appName-missing", changed(REQUEST, ("appName",), DELETE), ("appName",), "Field required"),
    ("appName-null", changed(REQUEST, ("appName",), None), ("appName",), "valid string"),
    ("composeDefinition-missing", changed(REQUEST, ("composeDefinition",), DELETE), C, "Field required"),
    ("containers-missing", changed(REQUEST, C + ("containers",), DELETE), C + ("containers",), "Field required"),
    ("container-name-missing", changed(REQUEST, C0 + ("name",), DELETE), C0 + ("name",), "Field required"),
    ("imageReference-missing", changed(REQUEST, C0 + ("imageReference",), DELETE), C0 + ("imageReference",), "Field required"),
    ("imageReference-type-missing", changed(REQUEST, C0 + ("imageReference", "type"), DELETE), C0 + ("imageReference", "type"), "Field required"),
    ("imageReference-identifier-missing", changed(REQUEST, C0 + ("imageReference", "identifier"), DELETE), C0 + ("imageReference", "identifier"), "Field required"),
    ("mountPoint-containerPath-missing", container(mountPoints=[{"sourceVolume": "data"}]), C0 + ("mountPoints", 0, "containerPath"), "Field required"),
    ("mountPoint-sourceVolume-missing", container(mountPoints=[{"containerPath": "/data"}]), C0 + ("mountPoints", 0, "sourceVolume"), "Field required"),
    ("secret-name-missing", container(secrets=[{"valueFrom": "db-password"}]), C0 + ("secrets", 0, "name"), "Field required"),
    ("secret-valueFrom-missing", container(secrets=[{"name": "DB_PASSWORD"}]), C0 + ("secrets", 0, "valueFrom"), "Field required"),
    ("environment-value-missing", container(environment=[{"name": "MODE"}]), C0 + ("environment", 0, "value"), "Field required"),
    ("dependsOn-containerName-missing", container(dependsOn=[{"condition": "START"}]), C0 + ("dependsOn", 0, "containerName"), "Field required"),
    # --- appName: a DNS label, since it names cloud resources
    ("appName-upper-case", bodies.request(appName="Shop"), ("appName",), "should match pattern"),
    ("appName-underscore", bodies.request(appName="my_app"), ("appName",), "should match pattern"),
    ("appName-leading-hyphen", bodies.request(appName="-shop"), ("appName",), "should match pattern"),
    ("appName-trailing-hyphen", bodies.request(appName="shop-"), ("appName",), "should match pattern"),
    ("appName-64-chars", bodies.request(appName="a" * 64), ("appName",), "should match pattern"),
    ("appName-empty", bodies.request(appName=""), ("appName",), "should match pattern"),
    # --- container name and image
    ("container-name-space", container(name="web server"), C0 + ("name",), "should match pattern"),
    ("container-name-dot", container(name="web.1"), C0 + ("name",), "should match pattern"),
    ("container-name-empty", container(name=""), C0 + ("name",), "at least 1 character"),
    ("container-name-256-chars", container(name="a" * 256), C0 + ("name",), "at most 255 characters"),
    ("imageReference-type-not-in-enum", container(imageReference={"type": "ftp", "identifier": "x"}), C0 + ("imageReference", "type"), "'internal' or 'external'"),
    ("imageReference-type-is-case-sensitive", container(imageReference={"type": "Internal", "identifier": "x"}), C0 + ("imageReference", "type"), "'internal' or 'external'"),
    ("imageReference-identifier-empty", container(imageReference={"type": "internal", "identifier": ""}), C0 + ("imageReference", "identifier"), "at least 1 character"),
    # --- healthCheck bounds
    ("healthCheck-interval-below-5", container(healthCheck={**CHECK, "interval": 4}), C0 + ("healthCheck", "interval"), "greater than or equal to 5"),
    ("healthCheck-interval-above-300", container(healthCheck={**CHECK, "interval": 301}), C0 + ("healthCheck", "interval"), "less than or equal to 300"),
    ("healthCheck-timeout-below-2", container(healthCheck={**CHECK, "timeout": 1}), C0 + ("healthCheck", "timeout"), "greater than or equal to 2"),
    ("healthCheck-timeout-above-60", container(healthCheck={**CHECK, "timeout": 61}), C0 + ("healthCheck", "timeout"), "less than or equal to 60"),
    ("healthCheck-retries-below-1", container(healthCheck={**CHECK, "retries": 0}), C0 + ("healthCheck", "retries"), "greater than or equal to 1"),
    ("healthCheck-retries-above-10", container(healthCheck={**CHECK, "retries": 11}), C0 + ("healthCheck", "retries"), "less than or equal to 10"),
    ("healthCheck-startPeriod-negative", container(healthCheck={**CHECK, "startPeriod": -1}), C0 + ("healthCheck", "startPeriod"), "greater than or equal to 0"),
    ("healthCheck-startPeriod-above-300", container(healthCheck={**CHECK, "startPeriod": 301}), C0 + ("healthCheck", "startPeriod"), "less than or equal to 300"),
    # --- dependsOn condition
    ("dependsOn-condition-not-in-enum", composed(web("db"), web(dependsOn=[{"containerName": "db", "condition": "READY"}])), C + ("containers", 1, "dependsOn", 0, "condition"), "'START', 'HEALTHY', 'COMPLETE' or 'SUCCESS'"),
    ("dependsOn-condition-is-case-sensitive", composed(web("db"), web(dependsOn=[{"containerName": "db", "condition": "healthy"}])), C + ("containers", 1, "dependsOn", 0, "condition"), "'START'"),
    # --- ports, sizes, paths, variable names
    ("exposedPort-0", container(exposedPorts=[80, 0]), C0 + ("exposedPorts", 1), "greater than or equal to 1"),
    ("exposedPort-65536", container(exposedPorts=[65536]), C0 + ("exposedPorts", 0), "less than or equal to 65535"),
    ("exposedPort-negative", container(exposedPorts=[-80]), C0 + ("exposedPorts", 0), "greater than or equal to 1"),
    ("cpu-negative", container(cpu=-1), C0 + ("cpu",), "greater than or equal to 0"),
    ("memory-below-4-MiB", container(memory=3), C0 + ("memory",), "greater than or equal to 4"),
    ("memoryReservation-below-4-MiB", container(memoryReservation=2), C0 + ("memoryReservation",), "greater than or equal to 4"),
    ("mountPoint-containerPath-relative", container(mountPoints=[{**MOUNT, "containerPath": "data"}]), C0 + ("mountPoints", 0, "containerPath"), "should match pattern"),
    ("environment-name-starts-with-digit", container(environment=[{"name": "1MODE", "value": "x"}]), C0 + ("environment", 0, "name"), "should match pattern"),
    ("secret-name-with-hyphen", container(secrets=[{**SECRET, "name": "DB-PASSWORD"}]), C0 + ("secrets", 0, "name"), "should match pattern"),
    # --- one container, taken as a whole
    ("memoryReservation-above-memory", container(memory=256, memoryReservation=257), C0, cmp.RESERVATION_ABOVE_LIMIT),
    # --- the compose, taken as a whole
    ("no-containers", changed(REQUEST, C + ("containers",), []), C + ("containers",), "at least 1 item"),
    ("eleven-containers", composed(*(web(f"c{i}") for i in range(11))), C + ("containers",), "at most 10 items"),
    ("duplicate-container-names", composed(web(), web()), C, "'web' appears more than once"),
    ("dependsOn-unknown-container", container(dependsOn=[{"containerName": "db"}]), C, "dependsOn names 'db'"),
    ("dependsOn-itself", container(dependsOn=[{"containerName": "web"}]), C, cmp.SELF_DEPENDENCY),
    ("dependsOn-two-cycle", composed(web("a", dependsOn=[{"containerName": "b"}]), web("b", dependsOn=[{"containerName": "a"}])), C, "a → b → a"),
    ("dependsOn-three-cycle", composed(web("a", dependsOn=[{"containerName": "b"}]), web("b", dependsOn=[{"containerName": "c"}]), web("c", dependsOn=[{"containerName": "a"}])), C, "a → b → c → a"),
    ("dependsOn-cycle-behind-a-tail", composed(web("a", dependsOn=[{"containerName": "b"}]), web("b", dependsOn=[{"containerName": "c"}]), web("c", dependsOn=[{"containerName": "b"}])), C, "b → c → b"),
    ("no-essential-container", composed(web("a", essential=False), web("b", essential=False)), C, cmp.NO_ESSENTIAL),
    ("container-memory-above-taskMemory", container(memory=1024), C, "'web' asks for 1024 MiB, more than taskMemory 512"),
    ("container-memoryReservation-above-taskMemory", container(memoryReservation=513), C, "'web' asks for 513 MiB"),
    ("containers-cpu-sum-above-taskCpu", composed(web("a", cpu=200), web("b", cpu=57)), C, "cpu adds up to 257, more than taskCpu 256"),
    ("compose-minCapacity-above-maxCapacity", composed(web(), minCapacity=3, maxCapacity=2), C, cmp.CAPACITY_ORDER),
    ("compose-minCapacity-negative", composed(web(), minCapacity=-1), C + ("minCapacity",), "greater than or equal to 0"),
    ("compose-maxCapacity-above-1000", composed(web(), maxCapacity=1001), C + ("maxCapacity",), "less than or equal to 1000"),
    ("architecture-unknown", composed(web(), architecture="arm"), C + ("architecture",), "'X86_64' or 'ARM64'"),
    ("architecture-not-a-string", composed(web(), architecture=64), C + ("architecture",), "'X86_64' or 'ARM64'"),
    ("taskCpu-not-a-fargate-size", composed(web(), taskCpu=300), C, "taskCpu 300 is not a Fargate size"),
    ("taskMemory-does-not-fit-taskCpu", composed(web(), taskCpu=512, taskMemory=512), C, "taskMemory 512 MiB does not fit taskCpu 512"),
    ("spot-strategy-not-in-enum", composed(web(), spotConfiguration={"strategy": "on"}), C + ("spotConfiguration", "strategy"), "'off', 'spot-only', 'mixed-safe' or 'mixed-aggressive'"),
    # --- the request, taken as a whole
    ("request-minCapacity-above-maxCapacity", bodies.request(minCapacity=3, maxCapacity=2), (), cmp.CAPACITY_ORDER),
    ("compose-minCapacity-above-request-maxCapacity", bodies.request(composeDefinition=bodies.compose(minCapacity=5), maxCapacity=2), (), cmp.CAPACITY_ORDER),
    ("request-minCapacity-negative", bodies.request(minCapacity=-1), ("minCapacity",), "greater than or equal to 0"),
    ("request-maxCapacity-above-1000", bodies.request(maxCapacity=1001), ("maxCapacity",), "less than or equal to 1000"),
    ("database-engine-not-in-enum", bodies.request(database={"engine": "oracle"}), ("database", "engine"), "'mysql' or 'postgres'"),
    ("database-engine-is-case-sensitive", bodies.request(database={"engine": "MySQL"}), ("database", "engine"), "'mysql' or 'postgres'"),
    ("database-instanceClass-without-db-prefix", bodies.request(database={"instanceClass": "t4g.micro"}), ("database", "instanceClass"), "should match pattern"),
    ("database-storageGb-below-20", bodies.request(database={"storageGb": 19}), ("database", "storageGb"), "greater than or equal to 20"),
    ("filesystem-mountPath-relative", bodies.request(filesystem={"mountPath": "mnt/data"}), ("filesystem", "mountPath"), "should match pattern"),
    ("environment-value-missing-at-request-level", bodies.request(environment=[{"name": "MODE"}]), ("environment", 0, "value"), "Field required"),
]


@pytest.mark.parametrize(("body", "loc", "message"), [case[1:] for case in REJECTED], ids=[case[0] for case in REJECTED])
def test_rejected_with_the_fields_path(body, loc, message):
    with pytest.raises(ValidationError) as caught:
        CreateApplicationRequest.model_validate(body)
    errors = [(e["loc"], e["msg"]) for e in caught.value.errors()]
    assert any(got == loc and message in msg for got, msg in errors), errors


ACCEPTED = [
    ("appName-one-char", bodies.request(appName="a")),
    ("appName-63-chars", bodies.request(appName="a" * 63)),
    ("appName-digits-and-hyphens", bodies.request(appName="0-my-app-9")),
    ("container-name-underscore-hyphen-upper", container(name="Web_server-1")),
    ("container-name-255-chars", container(name="a" * 255)),
    ("healthCheck-lowest-bounds", container(healthCheck={**CHECK, "interval": 5, "timeout": 2, "retries": 1, "startPeriod": 0})),
    ("healthCheck-highest-bounds", container(healthCheck={**CHECK, "interval": 300, "timeout": 60, "retries": 10, "startPeriod": 300})),
    ("ports-1-and-65535", container(exposedPorts=[1, 65535])),
    ("cpu-0", container(cpu=0)),
    ("memoryReservation-equal-to-memory", container(memory=256, memoryReservation=256)),
    ("memoryReservation-without-memory", container(memoryReservation=512)),
    ("container-memory-equal-to-taskMemory", container(memory=512)),
    ("cpu-sum-equal-to-taskCpu", composed(web("a", cpu=128), web("b", cpu=128))),
    ("one-essential-among-non-essentials", composed(web("a", essential=False), web("b"))),
    ("null-essential-means-the-default-true", composed(web("a", essential=False), web("b", essential=None))),
    ("dependsOn-diamond-is-acyclic", composed(
        web("a", dependsOn=[{"containerName": "b"}, {"containerName": "c", "condition": "HEALTHY"}]),
        web("b", dependsOn=[{"containerName": "d", "condition": "COMPLETE"}]),
        web("c", dependsOn=[{"containerName": "d", "condition": "SUCCESS"}]),
        web("d"),
    )),
    ("capacity-min-equal-to-max", bodies.request(minCapacity=4, maxCapacity=4)),
    ("maxCapacity-left-out-follows-minCapacity", bodies.request(minCapacity=3)),
    ("null-maxCapacity-follows-minCapacity", bodies.request(minCapacity=3, maxCapacity=None)),
    ("capacity-zero", bodies.request(minCapacity=0, maxCapacity=0)),
    ("compose-capacity-wider-than-request", bodies.request(composeDefinition=bodies.compose(minCapacity=2, maxCapacity=9), minCapacity=1, maxCapacity=1)),
    ("ten-containers", composed(*(web(f"c{i}") for i in range(10)))),
    ("architecture-lower-case", composed(web(), architecture="arm64")),
    ("spot-strategy-off", composed(web(), spotConfiguration={"strategy": "off"})),
    ("database-postgres", bodies.request(database={"engine": "postgres", "instanceClass": "db.r6g.large", "storageGb": 65536, "multiAz": True})),
    ("filesystem-not-required", bodies.request(filesystem={"required": False, "mountPath": "/data/shared"})),
]


@pytest.mark.parametrize("body", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_accepted(body):
    parsed = CreateApplicationRequest.model_validate(body)
    assert CreateApplicationRequest.model_validate(parsed.to_wire()) == parsed


def test_every_bad_field_is_reported_at_once():
    body = bodies.request(
        appName="Bad Name!",
        composeDefinition=bodies.compose(bodies.container("web server", imageReference={"type": "ftp"}, exposedPorts=[0])),
        database={"engine": "oracle"},
    )
    with pytest.raises(ValidationError) as caught:
        CreateApplicationRequest.model_validate(body)
    assert {e["loc"] for e in caught.value.errors()} == {
        ("appName",),
        C0 + ("name",),
        C0 + ("imageReference", "type"),
        C0 + ("imageReference", "identifier"),
        C0 + ("exposedPorts", 0),
        ("database", "engine"),
    }


@pytest.mark.parametrize("entry", ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", " 192.0.2.1 "])
def test_ip_allow_takes_addresses_and_cidr_blocks(entry):
    config = cmp.OriginProtectionConfig.model_validate({"ipAllow": [entry]})
    assert config.ip_allow == [entry]


@pytest.mark.parametrize("entry", ["example.com", "10.0.0.0/33", "", "300.1.1.1"])
def test_ip_allow_refuses_what_is_not_an_address(entry):
    with pytest.raises(ValidationError, match="is not an IP address or CIDR block"):
        cmp.OriginProtectionConfig.model_validate({"ipAllow": [entry]})
