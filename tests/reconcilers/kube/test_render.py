"""The objects an application should have (pure): table-driven."""

import base64

from reconcilers.kube.naming import APPLICATION_ID_KEY, APPLIED_KEY, MANAGED_BY_KEY, RELEASE_KEY
from reconcilers.kube.render import RenderSettings, manifest_hash, render_application
from tests.reconcilers.kube.factories import APP_ID, application, release


def by_kind(rendering):
    found = {}
    for obj in rendering.objects:
        found.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    return found


def test_namespace_deployments_service_budget_and_secret():
    objects = by_kind(render_application(application(), release(3)))
    assert set(objects["Namespace"]) == {"acme-shop"}
    assert set(objects["Deployment"]) == {"store-web", "store-worker"}
    assert set(objects["Service"]) == {"store"}
    assert set(objects["PodDisruptionBudget"]) == {"store-web"}, "only web runs more than one replica"
    assert set(objects["Secret"]) == {"store-config"}


def test_deployment_carries_replicas_resources_release_and_probes():
    web = by_kind(render_application(application(health_check_host="shop.test"), release(3)))["Deployment"]["store-web"]
    assert web["spec"]["replicas"] == 2
    assert web["metadata"]["labels"][RELEASE_KEY] == "v3"
    assert web["spec"]["template"]["metadata"]["labels"][RELEASE_KEY] == "v3"
    assert RELEASE_KEY not in web["spec"]["selector"]["matchLabels"], "selectors are immutable"
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.test/acme/store:3"
    assert container["args"] == ["gunicorn app:app"]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}, "the medium pod class"
    assert container["envFrom"] == [{"secretRef": {"name": "store-config"}}]
    probe = container["readinessProbe"]["httpGet"]
    assert probe["path"] == "/_health/" and probe["httpHeaders"] == [{"name": "Host", "value": "shop.test"}]
    worker = by_kind(render_application(application(), release(3)))["Deployment"]["store-worker"]
    assert "readinessProbe" not in worker["spec"]["template"]["spec"]["containers"][0]
    assert worker["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}


def test_every_object_is_labelled_and_stamped():
    for obj in render_application(application(), release()).objects:
        labels = obj["metadata"]["labels"]
        assert labels[MANAGED_BY_KEY] == "berth"
        if obj["kind"] != "Namespace":
            assert labels[APPLICATION_ID_KEY] == str(APP_ID)
        assert obj["metadata"]["annotations"][APPLIED_KEY] == manifest_hash(obj)


def test_secret_holds_the_configuration_base64():
    secret = by_kind(render_application(application(), release()))["Secret"]["store-config"]
    assert base64.b64decode(secret["data"]["SECRET_KEY"]) == b"s3cret"


def test_no_release_no_workload():
    rendering = render_application(application(), None)
    assert [o["kind"] for o in rendering.objects] == ["Namespace"]


def test_process_missing_from_the_procfile_is_reported_not_run():
    rendering = render_application(application(process_counts={"web": 1, "clock": 1}), release())
    assert set(rendering.processes) == {"web"}
    assert any("clock" in p for p in rendering.problems)


def test_never_scaled_application_runs_one_web_and_no_procfile_runs_the_image_default():
    rendering = render_application(application(process_counts={}), release(processes={}))
    web = by_kind(rendering)["Deployment"]["store-web"]
    assert web["spec"]["replicas"] == 1
    assert "args" not in web["spec"]["template"]["spec"]["containers"][0]
    assert "PodDisruptionBudget" not in by_kind(rendering)


def test_a_scale_changes_the_hash_and_the_release_does_too():
    a = by_kind(render_application(application(), release(1)))["Deployment"]["store-web"]
    b = by_kind(render_application(application(process_counts={"web": 3}), release(1)))["Deployment"]["store-web"]
    c = by_kind(render_application(application(), release(2)))["Deployment"]["store-web"]
    hashes = {x["metadata"]["annotations"][APPLIED_KEY] for x in (a, b, c)}
    assert len(hashes) == 3


def test_image_pull_secret_and_port_settings():
    settings = RenderSettings(web_port=5000, image_pull_secret="registry")
    web = by_kind(render_application(application(), release(), settings))["Deployment"]["store-web"]
    spec = web["spec"]["template"]["spec"]
    assert spec["imagePullSecrets"] == [{"name": "registry"}]
    assert spec["containers"][0]["ports"][0]["containerPort"] == 5000
