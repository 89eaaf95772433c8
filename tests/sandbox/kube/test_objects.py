"""CRUD on the fake API server through kubernetes-asyncio over HTTP: identity and versions,
404/409/422 Status bodies, optimistic concurrency, selectors, patches, deletion."""

import base64
import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.sandbox.kube.manifests import deployment, namespace


async def _status(call) -> tuple[int, dict]:
    with pytest.raises(ApiException) as caught:
        await call
    return caught.value.status, json.loads(caught.value.body)


async def test_create_get_list_with_identity_and_versions(kube_api):
    apps = client.AppsV1Api(kube_api)
    created = await apps.create_namespaced_deployment("default", deployment())
    assert created.metadata.uid and created.metadata.generation == 1
    assert created.metadata.creation_timestamp is not None
    assert created.spec.strategy.type == "RollingUpdate"  # defaulted, as a real server does
    got = await apps.read_namespaced_deployment("web", "default")
    assert got.metadata.resource_version == created.metadata.resource_version
    listed = await apps.list_namespaced_deployment("default")
    assert [d.metadata.name for d in listed.items] == ["web"]
    assert int(listed.metadata.resource_version) >= int(created.metadata.resource_version)
    everywhere = await apps.list_deployment_for_all_namespaces()
    assert len(everywhere.items) == 1


async def test_not_found_already_exists_and_missing_namespace(kube_api):
    apps = client.AppsV1Api(kube_api)
    code, body = await _status(apps.read_namespaced_deployment("nope", "default"))
    assert (code, body["reason"], body["kind"]) == (404, "NotFound", "Status")
    assert body["message"] == 'deployments.apps "nope" not found'
    await apps.create_namespaced_deployment("default", deployment())
    code, body = await _status(apps.create_namespaced_deployment("default", deployment()))
    assert (code, body["reason"]) == (409, "AlreadyExists")
    code, body = await _status(apps.create_namespaced_deployment("elsewhere", deployment()))
    assert (code, body["details"]["kind"]) == (404, "namespaces")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["metadata"].pop("name"), "metadata.name"),
        (lambda d: d["metadata"]["labels"].update(app="not valid!"), "metadata.labels[app]"),
        (lambda d: d["spec"].update(replicas=-1), "spec.replicas"),
        (lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("image"), "spec.template.spec.containers[0].image"),
        (lambda d: d["spec"]["template"]["metadata"]["labels"].update(app="other"), "spec.template.metadata.labels"),
    ],
    ids=["no name", "bad label value", "negative replicas", "container without image", "selector mismatch"],
)
async def test_invalid_objects_are_422_naming_the_field(kube_api, change, field):
    manifest = deployment()
    change(manifest)
    code, body = await _status(client.AppsV1Api(kube_api).create_namespaced_deployment("default", manifest))
    assert (code, body["reason"]) == (422, "Invalid")
    assert field in [cause["field"] for cause in body["details"]["causes"]]


async def test_replace_with_a_stale_resource_version_is_a_conflict(kube_api):
    apps = client.AppsV1Api(kube_api)
    first = await apps.create_namespaced_deployment("default", deployment())
    first.spec.replicas = 3
    replaced = await apps.replace_namespaced_deployment("web", "default", first)
    assert replaced.metadata.generation == 2
    assert int(replaced.metadata.resource_version) > int(first.metadata.resource_version)
    first.spec.replicas = 4  # still carries the old resourceVersion
    code, body = await _status(apps.replace_namespaced_deployment("web", "default", first))
    assert (code, body["reason"]) == (409, "Conflict")
    assert "the object has been modified" in body["message"]


async def test_metadata_changes_do_not_bump_generation_and_no_op_writes_keep_the_version(kube_api):
    apps = client.AppsV1Api(kube_api)
    created = await apps.create_namespaced_deployment("default", deployment())
    annotated = await apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"annotations": {"a": "b"}}}, _content_type="application/merge-patch+json")
    assert annotated.metadata.generation == 1
    assert annotated.metadata.resource_version != created.metadata.resource_version
    again = await apps.patch_namespaced_deployment(
        "web", "default", {"metadata": {"annotations": {"a": "b"}}}, _content_type="application/merge-patch+json")
    assert again.metadata.resource_version == annotated.metadata.resource_version


async def test_strategic_merge_patch_merges_containers_by_name(kube_api):
    apps = client.AppsV1Api(kube_api)
    await apps.create_namespaced_deployment("default", deployment())
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "envoy:1"}]}}}}
    patched = await apps.patch_namespaced_deployment("web", "default", patch)  # a dict goes strategic
    assert [c.name for c in patched.spec.template.spec.containers] == ["web", "sidecar"]
    json_patched = await apps.patch_namespaced_deployment(
        "web", "default", [{"op": "replace", "path": "/spec/replicas", "value": 5}])
    assert json_patched.spec.replicas == 5


async def test_label_selectors_equality_and_set_based(kube_api):
    core = client.CoreV1Api(kube_api)
    for name, tier in (("a", "web"), ("b", "worker"), ("c", "batch")):
        await core.create_namespaced_config_map(
            "default", {"metadata": {"name": name, "labels": {"tier": tier, **({"x": "1"} if name == "a" else {})}}})

    async def names(selector):
        return [c.metadata.name for c in (await core.list_namespaced_config_map("default", label_selector=selector)).items]

    assert await names("tier=web") == ["a"]
    assert await names("tier!=web") == ["b", "c"]
    assert await names("tier in (web,worker)") == ["a", "b"]
    assert await names("tier notin (web)") == ["b", "c"]
    assert await names("x") == ["a"]
    assert await names("!x,tier") == ["b", "c"]


async def test_secret_string_data_lands_in_data(kube_api):
    core = client.CoreV1Api(kube_api)
    created = await core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    assert created.data == {"k": base64.b64encode(b"v").decode()}
    assert created.type == "Opaque"
    code, body = await _status(core.create_namespaced_secret("default", {"metadata": {"name": "t"}, "data": {"k": "%%"}}))
    assert (code, body["reason"]) == (422, "Invalid")


async def test_services_get_a_cluster_ip_and_defaults(kube_api):
    service = await client.CoreV1Api(kube_api).create_namespaced_service("default", {
        "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    assert service.spec.cluster_ip.startswith("10.96.")
    assert (service.spec.type, service.spec.ports[0].protocol, service.spec.ports[0].target_port) == ("ClusterIP", "TCP", 80)


async def test_status_subresource_is_separate_from_the_object(kube_api):
    apps = client.AppsV1Api(kube_api)
    manifest = deployment()
    manifest["status"] = {"replicas": 9}
    created = await apps.create_namespaced_deployment("default", manifest)
    assert created.status is None or not created.status.replicas
    patched = await apps.patch_namespaced_deployment_status(
        "web", "default", {"status": {"replicas": 9}}, _content_type="application/merge-patch+json")
    assert patched.status.replicas == 9 and patched.metadata.generation == 1


async def test_scale_subresource(kube_api):
    apps = client.AppsV1Api(kube_api)
    await apps.create_namespaced_deployment("default", deployment())
    scale = await apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 2
    await apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}})
    assert (await apps.read_namespaced_deployment("web", "default")).spec.replicas == 4


async def test_finalizers_hold_deletion_until_removed(kube_api):
    core = client.CoreV1Api(kube_api)
    await core.create_namespaced_config_map("default", {"metadata": {"name": "held", "finalizers": ["berth.dev/x"]}})
    await core.delete_namespaced_config_map("held", "default")
    still = await core.read_namespaced_config_map("held", "default")
    assert still.metadata.deletion_timestamp is not None
    await core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}},
                                           _content_type="application/merge-patch+json")
    code, _ = await _status(core.read_namespaced_config_map("held", "default"))
    assert code == 404


async def test_namespace_deletion_terminates_then_removes_its_objects(kube, kube_api):
    core, apps = client.CoreV1Api(kube_api), client.AppsV1Api(kube_api)
    await core.create_namespace(namespace("team"))
    await apps.create_namespaced_deployment("team", deployment())
    await core.create_namespaced_secret("team", {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    await core.delete_namespace("team")
    terminating = await core.read_namespace("team")
    assert terminating.status.phase == "Terminating" and terminating.metadata.deletion_timestamp
    code, body = await _status(core.create_namespaced_config_map("team", {"metadata": {"name": "late"}}))
    assert (code, body["reason"]) == (403, "Forbidden")
    kube.cluster.tick()
    code, _ = await _status(core.read_namespace("team"))
    assert code == 404
    assert (await apps.list_deployment_for_all_namespaces()).items == []
    assert (await core.list_secret_for_all_namespaces()).items == []


async def test_events_and_pdbs_round_trip(kube_api):
    core, policy = client.CoreV1Api(kube_api), client.PolicyV1Api(kube_api)
    await core.create_namespaced_event("default", {
        "metadata": {"name": "e1"}, "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "default"},
        "reason": "Applied", "message": "hello", "type": "Normal"})
    events = await core.list_namespaced_event("default", field_selector="involvedObject.name=web")
    assert [e.reason for e in events.items] == ["Applied"]
    pdb = await policy.create_namespaced_pod_disruption_budget("default", {
        "metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    assert pdb.metadata.generation == 1
    code, body = await _status(policy.create_namespaced_pod_disruption_budget("default", {
        "metadata": {"name": "both"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}}))
    assert (code, body["reason"]) == (422, "Invalid")


async def test_dry_run_answers_without_writing(kube_api):
    apps = client.AppsV1Api(kube_api)
    answered = await apps.create_namespaced_deployment("default", deployment(), dry_run="All")
    assert answered.metadata.uid
    code, _ = await _status(apps.read_namespaced_deployment("web", "default"))
    assert code == 404
    code, body = await _status(apps.create_namespaced_deployment("default", {**deployment(), "spec": {}}, dry_run="All"))
    assert (code, body["reason"]) == (422, "Invalid")
