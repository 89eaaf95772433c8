"""Server-side apply on the fake API server through kubernetes-asyncio: managedFields per
manager, conflicts (409 with the Kubernetes Status) unless forced, shared ownership, and
fields a manager stops applying removed unless someone else owns them."""

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from controller.sandbox.kube.apply import ApplyConflicts, apply
from tests.sandbox.kube.manifests import deployment

APPLY = "application/apply-patch+yaml"


async def _apply(api, manifest, manager="berth", force=False):
    return await client.AppsV1Api(api).patch_namespaced_deployment(
        manifest["metadata"]["name"], "default", manifest, field_manager=manager, force=force, _content_type=APPLY)


def _managers(obj) -> dict:
    return {(m.manager, m.operation): m.fields_v1 for m in obj.metadata.managed_fields}


async def test_apply_creates_then_a_repeat_is_a_no_op(kube_api):
    created = await _apply(kube_api, deployment())
    assert created.metadata.generation == 1
    fields = _managers(created)[("berth", "Apply")]
    assert fields["f:spec"]["f:replicas"] == {}
    assert fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']["f:image"] == {}
    assert "f:strategy" not in fields["f:spec"]  # defaults belong to nobody
    again = await _apply(kube_api, deployment())
    assert again.metadata.resource_version == created.metadata.resource_version


async def test_a_second_manager_changing_a_field_conflicts_with_the_status_body(kube_api):
    await _apply(kube_api, deployment(replicas=2))
    scaler = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}}
    with pytest.raises(ApiException) as caught:
        await _apply(kube_api, scaler, manager="autoscaler")
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["reason"], body["code"]) == (409, "Conflict", 409)
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "berth" using apps/v1: .spec.replicas'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "berth" using apps/v1', "field": ".spec.replicas"}]


async def test_force_takes_ownership_and_the_loser_no_longer_owns_the_field(kube_api):
    await _apply(kube_api, deployment(replicas=2))
    scaler = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}}
    forced = await _apply(kube_api, scaler, manager="autoscaler", force=True)
    assert forced.spec.replicas == 5 and forced.metadata.generation == 2
    managers = _managers(forced)
    assert "f:replicas" in managers[("autoscaler", "Apply")]["f:spec"]
    assert "f:replicas" not in managers[("berth", "Apply")]["f:spec"]
    # berth applies again without replicas: no conflict, and the autoscaler's value stays.
    manifest = deployment()
    del manifest["spec"]["replicas"]
    kept = await _apply(kube_api, manifest)
    assert kept.spec.replicas == 5


async def test_the_same_value_is_shared_ownership_not_a_conflict(kube_api):
    await _apply(kube_api, deployment(replicas=2))
    same = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}}
    shared = await _apply(kube_api, same, manager="other")
    managers = _managers(shared)
    assert "f:replicas" in managers[("other", "Apply")]["f:spec"]
    assert "f:replicas" in managers[("berth", "Apply")]["f:spec"]


async def test_fields_a_manager_stops_applying_are_removed_unless_another_owns_them(kube_api):
    manifest = deployment(labels={"app": "web", "team": "a", "tier": "front"})
    manifest["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "envoy:1"})
    await _apply(kube_api, manifest)
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"tier": "front"}}}
    await _apply(kube_api, other, manager="other")
    smaller = deployment(labels={"app": "web"})
    result = await _apply(kube_api, smaller)
    assert result.metadata.labels == {"app": "web", "tier": "front"}  # team gone; tier still owned by "other"
    assert [c.name for c in result.spec.template.spec.containers] == ["web"]  # the sidecar item removed


async def test_an_update_takes_ownership_of_what_it_changed(kube_api):
    await _apply(kube_api, deployment(replicas=2))
    apps = client.AppsV1Api(kube_api)
    await apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}}, field_manager="kubectl-scale",
                                           _content_type="application/merge-patch+json")
    with pytest.raises(ApiException) as caught:
        await _apply(kube_api, deployment(replicas=2))
    assert 'conflict with "kubectl-scale"' in json.loads(caught.value.body)["message"]


async def test_apply_requires_a_field_manager_and_a_matching_type(kube, kube_api):
    apps = client.AppsV1Api(kube_api)
    with pytest.raises(ApiException) as caught:
        await apps.patch_namespaced_deployment("web", "default", deployment(), _content_type=APPLY)
    assert caught.value.status == 400
    wrong = {**deployment(), "kind": "Service", "apiVersion": "v1"}
    with pytest.raises(ApiException) as caught:
        await _apply(kube_api, wrong)
    assert caught.value.status == 400


def test_apply_merges_associative_lists_by_key_and_keeps_other_managers_items():
    base = deployment()
    live = apply(None, base, manager="a", force=False, now="t")
    extra = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"template": {"spec": {"containers": [{"name": "log", "image": "fluent:1"}]}}}}
    live = apply(live, extra, manager="b", force=False, now="t")
    names = [c["name"] for c in live["spec"]["template"]["spec"]["containers"]]
    assert names == ["web", "log"]
    changed = {**extra, "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}}}}
    with pytest.raises(ApplyConflicts) as caught:
        apply(live, changed, manager="b", force=False, now="t")
    assert caught.value.message().endswith('.spec.template.spec.containers[name="web"].image')
