"""The dry run's diff and effects: table-driven cases, and properties of the diff."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.desired import EnvironmentSpec
from schemas.v3 import plan as p
from tests.schemas.bodies import compose, container
from tests.schemas.test_properties import FAST, composes


def spec(**fields) -> EnvironmentSpec:
    return EnvironmentSpec.model_validate({"compose": compose(), **fields})


def actions(changes: list[p.PlannedChange]) -> dict[str, list[str]]:
    return {c.path: [f"{e.resource}: {e.action}" for e in c.effects] for c in changes}


# --- the generic diff ---------------------------------------------------------------------

DIFFS = [
    ("equal objects", {"a": 1}, {"a": 1}, []),
    ("a scalar replaced", {"a": 1}, {"a": 2}, [("/a", "replace", 1, 2)]),
    ("a key added", {}, {"a": [1]}, [("/a", "add", None, [1])]),
    ("a key removed", {"a": 1}, {}, [("/a", "remove", 1, None)]),
    ("true is not 1 in JSON", {"a": 1}, {"a": True}, [("/a", "replace", 1, True)]),
    ("nested objects are compared field by field", {"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}},
     [("/a/c", "replace", 2, 3)]),
    ("array elements compared by index", {"a": [1, 2]}, {"a": [1, 3]}, [("/a/1", "replace", 2, 3)]),
    ("extra elements are added at the end", {"a": [1]}, {"a": [1, 2, 3]},
     [("/a/1", "add", None, 2), ("/a/2", "add", None, 3)]),
    ("missing elements are removed from the end backwards", {"a": [1, 2, 3]}, {"a": [1]},
     [("/a/2", "remove", 3, None), ("/a/1", "remove", 2, None)]),
    ("keys with / and ~ are escaped (RFC 6901)", {"a/b": 1, "c~d": 1}, {"a/b": 2, "c~d": 2},
     [("/a~1b", "replace", 1, 2), ("/c~0d", "replace", 1, 2)]),
    ("a type change replaces the whole value", {"a": {"b": 1}}, {"a": [1]}, [("/a", "replace", {"b": 1}, [1])]),
]


@pytest.mark.parametrize(("reason", "before", "after", "expected"), DIFFS, ids=[d[0] for d in DIFFS])
def test_diff(reason, before, after, expected):
    changes = p.diff(before, after)
    assert [(c.path, c.op.value, c.before, c.after) for c in changes] == expected, reason
    assert p.patched(before, changes) == after


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["a", "b", "c/d", "e~f"]), inner, max_size=4),
    max_leaves=20,
)
DOCUMENTS = st.dictionaries(st.sampled_from(["a", "b", "c/d", "e~f"]), JSON, max_size=4)


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True)


@FAST
@given(DOCUMENTS)
def test_a_document_has_no_diff_with_itself(document):
    assert p.diff(document, document) == []


@FAST
@given(DOCUMENTS, DOCUMENTS)
def test_applying_the_diff_yields_the_target(before, after):
    changes = p.diff(before, after)
    assert canonical(p.patched(before, changes)) == canonical(after)
    assert p.patched(before, changes) is not before  # the input is left alone
    assert (changes == []) == (canonical(before) == canonical(after))


@FAST
@given(composes(), composes(), st.integers(0, 3), st.integers(3, 6))
def test_the_plan_of_two_workloads_converges(first, second, low, high):
    stored = EnvironmentSpec.model_validate({"compose": first, "minCapacity": low, "maxCapacity": high})
    wanted = EnvironmentSpec.model_validate({"compose": second, "variables": [{"name": "A", "value": "1"}]})
    assert p.plan(stored, stored) == (p.PlanAction.NONE, [])
    action, changes = p.plan(stored, wanted)
    assert p.patched(p.document(stored), changes) == p.document(wanted)
    assert action == (p.PlanAction.UPDATE if changes else p.PlanAction.NONE)
    assert all(change.effects for change in changes)  # every change says what it does


# --- what the reconcilers would do --------------------------------------------------------

WEB = container("web", exposedPorts=[80])
REDEPLOY = ["ECS task definition: new revision", "ECS service: rolling deployment of the new revision"]
EFFECTS = [
    ("an image change is a new revision rolled out",
     spec(), spec(compose=compose(container("web", imageReference={"type": "external", "identifier": "nginx:2"}))),
     {"/composeDefinition/containers/0/imageReference/identifier": REDEPLOY}, True),
    ("a variable added is a new revision rolled out",
     spec(), spec(variables=[{"name": "A", "value": "1"}]), {"/environment/0": REDEPLOY}, True),
    ("task size is a new revision",
     spec(), spec(compose=compose(taskCpu=512, taskMemory=1024)),
     {"/composeDefinition/taskCpu": REDEPLOY, "/composeDefinition/taskMemory": REDEPLOY}, True),
    ("exposed ports also change ingress",
     spec(), spec(compose=compose(WEB)),
     {"/composeDefinition/containers/0/exposedPorts": [*REDEPLOY, "EC2 security groups: ingress rules: the exposed ports"]},
     True),
    ("a container with ports added also opens ingress",
     spec(), spec(compose=compose(container(), container("api", exposedPorts=[8080]))),
     {"/composeDefinition/containers/1": [*REDEPLOY, "EC2 security groups: ingress rules: the exposed ports"]}, True),
    ("origin protection is the security group's only",
     spec(compose=compose(WEB)), spec(compose=compose({**WEB, "originProtection": True})),
     {"/composeDefinition/containers/0/originProtection":
      ["EC2 security groups: ingress rules: exposed ports restricted to the edge (ipAllow)"]}, False),
    ("minimum capacity is the scalable target's and the desired count's",
     spec(), spec(minCapacity=0),
     {"/minCapacity": ["Application Auto Scaling scalable target: minimum capacity",
                       "ECS service: desired count raised into the range when below it"]}, False),
    ("maximum capacity is the scalable target's",
     spec(), spec(maxCapacity=4),
     {"/maxCapacity": ["Application Auto Scaling scalable target: maximum capacity",
                       "ECS service: desired count lowered into the range when above it"]}, False),
    ("spot in production changes nothing on AWS",
     spec(), spec(compose=compose(spotConfiguration={"strategy": "spot-only"})),
     {"/composeDefinition/spotConfiguration":
      ["ECS service: none: production runs on-demand whatever the strategy (SpotStrategyOverridden)"]}, False),
    ("cross-app networking: security group, namespace, new network configuration",
     spec(), spec(compose=compose(enableCrossAppNetworking=True)),
     {"/composeDefinition/enableCrossAppNetworking": [
         "EC2 security groups: the service joins or leaves the organisation's security group",
         "Cloud Map: service registered in (or removed from) the private namespace",
         "ECS service: network configuration updated, rolling deployment"]}, True),
    ("a database added is created, its secrets injected",
     spec(), spec(database={"engine": "postgres"}),
     {"/database": ["RDS instance: created (master password generated into Secrets Manager)",
                    "Secrets Manager connection secret: created; DB_* injected into every container", *REDEPLOY]},
     True),
    ("a database removed is deleted after a final snapshot",
     spec(database={}), spec(),
     {"/database": ["RDS instance: deleted, after a final snapshot unless skipFinalSnapshot",
                    "Secrets Manager connection secret: deleted; DB_* no longer injected", *REDEPLOY]}, True),
    ("the instance class waits for the maintenance window; storage growth and Multi-AZ do not",
     spec(database={}), spec(database={"instanceClass": "db.t4g.small", "storageGb": 40, "multiAz": True}),
     {"/database/instanceClass": ["RDS instance: modify (applied in the maintenance window; pending until then)"],
      "/database/storageGb": ["RDS instance: modify (applied at once)"],
      "/database/multiAz": ["RDS instance: modify (applied at once)"]}, False),
    ("the engine is never changed",
     spec(database={"engine": "mysql"}), spec(database={"engine": "postgres"}),
     {"/database/engine": ["RDS instance: replacement refused: the engine of an instance is never changed (Degraded)"]},
     False),
    ("storage cannot shrink",
     spec(database={"storageGb": 40}), spec(database={"storageGb": 20}),
     {"/database/storageGb": ["RDS instance: refused: allocated storage cannot shrink (Degraded)"]}, False),
    ("a file system no longer required is deleted, with its data",
     spec(filesystem={}), spec(filesystem={"required": False}),
     {"/filesystem/required": [
         "EFS file system: deleted with its access point and mount targets: its data is lost",
         "ECS task definition: new revision without the mount", "ECS service: rolling deployment of the new revision"]},
     True),
    ("a file system that is not required is stored only",
     spec(), spec(filesystem={"required": False}), {"/filesystem": ["berth: stored only: nothing changes on AWS"]}, False),
    ("a new mount path is a new revision",
     spec(filesystem={}), spec(filesystem={"mountPath": "/data"}), {"/filesystem/mountPath": REDEPLOY}, True),
    ("a mount path of an unmounted file system is stored only",
     spec(filesystem={"required": False}), spec(filesystem={"required": False, "mountPath": "/data"}),
     {"/filesystem/mountPath": ["berth: stored only: nothing changes on AWS"]}, False),
    ("the compose's own capacity is stored; the one in effect shows at the root",
     spec(), spec(compose=compose(minCapacity=1)),
     {"/composeDefinition/minCapacity": ["berth: stored only: the capacity in effect is /minCapacity and /maxCapacity"]},
     False),
]


@pytest.mark.parametrize(("reason", "stored", "wanted", "expected", "deploys"), EFFECTS, ids=[e[0] for e in EFFECTS])
def test_effects(reason, stored, wanted, expected, deploys):
    action, changes = p.plan(stored, wanted)
    assert action == p.PlanAction.UPDATE, reason
    assert actions(changes) == expected, reason
    assert p.deploys(changes) is deploys, reason


def test_spot_outside_production_moves_the_service_to_other_capacity_providers():
    _, changes = p.plan(spec(), spec(compose=compose(spotConfiguration={"strategy": "spot-only"})), "staging")
    assert actions(changes) == {
        "/composeDefinition/spotConfiguration": ["ECS service: capacity providers changed, forced deployment"]
    }
    assert p.deploys(changes)


def test_creating_lists_every_field_as_added():
    action, changes = p.plan(None, spec(database={}, filesystem={}))
    assert action == p.PlanAction.CREATE
    assert [(c.path, c.op) for c in changes] == [
        (path, p.Op.ADD)
        for path in ("/composeDefinition", "/minCapacity", "/maxCapacity", "/environment", "/database", "/filesystem")
    ]
    assert actions(changes)["/composeDefinition"] == [
        "ECS task definition: first revision registered",
        "ECS service: created, with its log group and security groups",
    ]
    assert p.deploys(changes)


def test_a_change_on_the_wire_has_no_before_when_added_and_no_after_when_removed():
    _, changes = p.plan(spec(variables=[{"name": "A", "value": "1"}]), spec(maxCapacity=2))
    wire = [c.to_wire() for c in changes]
    assert {"path": "/maxCapacity", "op": "replace", "before": 1, "after": 2} == {
        k: v for k, v in wire[0].items() if k != "effects"
    }
    assert "after" not in wire[1] and wire[1]["before"] == {"name": "A", "value": "1"}


def test_owned_fields_are_the_application_bodys():
    stored = spec(database={}, restarts=2, imageTag="v1", state="stopped").to_wire()
    assert set(p.owned_fields(stored)) == {"compose", "minCapacity", "maxCapacity", "variables", "database"}
