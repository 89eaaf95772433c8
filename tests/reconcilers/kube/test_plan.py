"""What to apply, delete or refuse (pure): table-driven, and the Terraform property —
the plan applied converges: planning again finds nothing to do."""

import copy
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from reconcilers.kube.naming import APPLICATION_ID_KEY
from reconcilers.kube.plan import Apply, Delete, ObjectRef, Refuse, contains, plan_objects
from reconcilers.kube.render import render_application
from tests.reconcilers.kube.factories import APP_ID, application, release
from tests.reconcilers.kube.server_apply import apply_actions

ME = str(APP_ID)


def converged(app, rel):
    objects = render_application(app, rel).objects
    return apply_actions({}, plan_objects(objects, {}, [], ME))


def plan_against(cluster, app, rel):
    desired = render_application(app, rel).objects
    owned = [ref for ref, obj in cluster.items() if obj["metadata"].get("labels", {}).get(APPLICATION_ID_KEY) == ME]
    return plan_objects(desired, cluster, owned, ME)


@dataclass(frozen=True)
class Case:
    reason: str
    change: object  # cluster -> cluster
    want: set


WEB = ObjectRef("Deployment", "acme-shop", "store-web")
WORKER = ObjectRef("Deployment", "acme-shop", "store-worker")


def scaled_out_of_band(cluster):
    cluster[WEB] = copy.deepcopy(cluster[WEB])
    cluster[WEB]["spec"]["replicas"] = 7
    return cluster


def label_removed(cluster):
    cluster[WEB] = copy.deepcopy(cluster[WEB])
    del cluster[WEB]["metadata"]["labels"][APPLICATION_ID_KEY]
    return cluster


def deleted(cluster):
    del cluster[WEB]
    return cluster


def foreign(cluster):
    cluster[WEB] = {"kind": "Deployment", "metadata": {"name": "store-web", "namespace": "acme-shop", "labels": {}}}
    return cluster


def other_application(cluster):
    cluster[WEB] = copy.deepcopy(cluster[WEB])
    cluster[WEB]["metadata"]["labels"][APPLICATION_ID_KEY] = "someone-else"
    return cluster


CASES = [
    Case("converged: nothing to do", lambda c: c, set()),
    Case("replicas changed out of band: put back", scaled_out_of_band, {("apply", WEB, "drift")}),
    Case("our label removed: put back (berth applied it)", label_removed, {("apply", WEB, "drift")}),
    Case("deleted out of band: created again", deleted, {("apply", WEB, "create")}),
    Case("same name, not berth's: refused", foreign, {("refuse", WEB)}),
    Case("same name, another application's: refused", other_application, {("refuse", WEB)}),
]


def summary(actions):
    out = set()
    for a in actions:
        if isinstance(a, Apply):
            out.add(("apply", a.ref, a.why))
        elif isinstance(a, Delete):
            out.add(("delete", a.ref))
        else:
            out.add(("refuse", a.ref))
    return out


def test_cases():
    for case in CASES:
        cluster = case.change(dict(converged(application(), release())))
        assert summary(plan_against(cluster, application(), release())) == case.want, case.reason


def test_a_process_scaled_away_is_deleted_with_its_budget():
    cluster = converged(application(), release())
    actions = summary(plan_against(cluster, application(process_counts={"web": 1}), release()))
    assert ("delete", WORKER) in actions
    assert ("delete", ObjectRef("PodDisruptionBudget", "acme-shop", "store-web")) in actions
    assert ("apply", WEB, "update") in actions


def test_a_new_release_updates_the_deployments_and_the_secret():
    cluster = converged(application(), release(1))
    actions = summary(plan_against(cluster, application(), release(2, configuration={"DEBUG": "1"})))
    assert ("apply", WEB, "update") in actions and ("apply", WORKER, "update") in actions
    assert ("apply", ObjectRef("Secret", "acme-shop", "store-config"), "update") in actions


def test_contains():
    assert contains({"a": 1, "b": 2}, {"a": 1})
    assert not contains({"a": 1}, {"a": 1, "b": 2})
    assert contains([{"a": 1, "x": 0}], [{"a": 1}])
    assert not contains([{"a": 1}, {"a": 2}], [{"a": 1}])


processes = st.dictionaries(st.sampled_from(["web", "worker", "clock"]), st.integers(0, 4), max_size=3)
classes = st.dictionaries(st.sampled_from(["web", "worker"]), st.sampled_from(["nano", "small", "large"]))
configs = st.dictionaries(st.from_regex(r"\A[A-Z][A-Z_]{0,5}\Z"), st.text(max_size=6), max_size=3)
mutations = st.sampled_from([lambda c: c, scaled_out_of_band, label_removed, deleted])


@given(processes, classes, configs, processes, st.integers(1, 3), mutations)
def test_the_plan_applied_converges(before, pod_classes, config, after, version, mutate):
    procfile = {"web": "serve", "worker": "work", "clock": "tick"}
    cluster = converged(application(process_counts=before or {"web": 2}), release(1, processes=procfile))
    if WEB in cluster:
        cluster = mutate(dict(cluster))
    app = application(process_counts=after, process_pod_classes=pod_classes)
    rel = release(version, configuration=config, processes=procfile)
    actions = plan_against(cluster, app, rel)
    assert not [a for a in actions if isinstance(a, Refuse)]
    cluster = apply_actions(cluster, actions)
    assert plan_against(cluster, app, rel) == []
