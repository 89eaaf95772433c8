"""The Kustomize overlays render (`kubectl kustomize`), every object is valid against the
Kubernetes schemas (kubernetes-validate, strict: unknown fields are errors), and the
properties operators rely on hold: non-root, probes, replicas, IRSA roles, scrape
annotations, least-privilege RBAC, every setting present."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.deploy.aws_operations import ROOT

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is a dev extra")

KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = {
    "production": {"api": 3, "controller": 3, "account": "123456789012", "tag": "0.1.0"},
    "sandbox": {"api": 1, "controller": 2, "account": "210987654321", "tag": "main"},
}
# The oldest Kubernetes still commonly run on EKS, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
NAMESPACE = "berth-system"

# What the Kubernetes platform may do; the ClusterRole may grant no more than this.
# Reads (get/list) and server-side apply (create/patch) plus delete; never update,
# watch, deletecollection, escalate, bind or impersonate.
NEEDED_RULES = {
    ("", "namespaces"): {"get", "list", "create", "patch", "delete"},
    ("apps", "deployments"): {"get", "list", "create", "patch", "delete"},
    ("", "services"): {"get", "list", "create", "patch", "delete"},
    ("", "secrets"): {"get", "list", "create", "patch", "delete"},
    ("", "pods"): {"get", "list"},
    ("", "pods/log"): {"get", "list"},
    ("batch", "jobs"): {"get", "list", "create", "patch", "delete"},
    ("policy", "poddisruptionbudgets"): {"get", "list", "create", "patch", "delete"},
    ("metrics.k8s.io", "pods"): {"get", "list"},
}

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: cannot render the overlays")


def _render(path: Path) -> list[dict]:
    done = subprocess.run([KUBECTL, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def overlay(request) -> tuple[str, list[dict]]:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: cannot render the overlays")
    return request.param, _render(KUBERNETES / "overlays" / request.param)


def _one(objects: list[dict], kind: str, name: str) -> dict:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(name)]
    assert len(found) == 1, f"expected one {kind} {name}, found {[o['metadata']['name'] for o in found]}"
    return found[0]


def _pod_specs(objects: list[dict]) -> Iterator[tuple[str, dict]]:
    for o in objects:
        if o["kind"] in ("Deployment", "Job"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]


@needs_kubectl
def test_the_base_renders_too():
    assert _render(KUBERNETES / "base")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_against_the_kubernetes_schemas(overlay, version):
    _, objects = overlay
    assert len(objects) >= 15
    for o in objects:
        kubernetes_validate.validate(o, version, strict=True)


def test_the_validation_is_real():
    """A misspelt field fails strict validation, so the test above can fail."""
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replica": 2, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSIONS[0], strict=True)


def test_everything_lives_in_berths_namespace(overlay):
    _, objects = overlay
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    for o in objects:
        if o["kind"] not in cluster_scoped:
            assert o["metadata"].get("namespace") == NAMESPACE, f"{o['kind']}/{o['metadata']['name']}"


def test_every_pod_runs_as_non_root_with_nothing_extra(overlay):
    _, objects = overlay
    specs = dict(_pod_specs(objects))
    assert set(specs) == {"Deployment/berth-api", "Deployment/berth-controller", "Job/berth-migrate"}
    for where, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] == 10001, where  # the image's USER
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"], where


def test_each_workload_runs_its_berth_command_from_the_overlays_image(overlay):
    name, objects = overlay
    expected = OVERLAYS[name]
    image = f"{expected['account']}.dkr.ecr."
    commands = {}
    for where, spec in _pod_specs(objects):
        (container,) = spec["containers"]
        assert container["image"].startswith(image) and container["image"].endswith(f"/berth:{expected['tag']}")
        commands[where] = container["args"][0]
    assert commands == {"Deployment/berth-api": "api", "Deployment/berth-controller": "controller",
                        "Job/berth-migrate": "migrate"}


def test_replicas_follow_the_overlay(overlay):
    name, objects = overlay
    assert _one(objects, "Deployment", "berth-api")["spec"]["replicas"] == OVERLAYS[name]["api"]
    assert _one(objects, "Deployment", "berth-controller")["spec"]["replicas"] == OVERLAYS[name]["controller"]
    assert OVERLAYS[name]["controller"] >= 2  # leases make N controllers safe; run more than one


def test_the_api_is_probed_on_healthz_and_readyz_and_served_by_its_service(overlay):
    _, objects = overlay
    (api,) = _one(objects, "Deployment", "berth-api")["spec"]["template"]["spec"]["containers"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    service = _one(objects, "Service", "berth-api")
    assert service["spec"]["selector"] == _one(objects, "Deployment", "berth-api")["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_prometheus_scrapes_metrics_on_the_declared_ports(overlay):
    _, objects = overlay
    for name in ("berth-api", "berth-controller"):
        template = _one(objects, "Deployment", name)["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        ports = {p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert int(annotations["prometheus.io/port"]) in ports


def test_service_accounts_carry_the_overlays_aws_roles(overlay):
    name, objects = overlay
    account = OVERLAYS[name]["account"]
    for process in ("api", "controller"):
        annotations = _one(objects, "ServiceAccount", f"berth-{process}")["metadata"]["annotations"]
        assert annotations["eks.amazonaws.com/role-arn"] == f"arn:aws:iam::{account}:role/berth-{process}"
    specs = dict(_pod_specs(objects))
    assert specs["Deployment/berth-api"]["serviceAccountName"] == "berth-api"
    assert specs["Deployment/berth-api"]["automountServiceAccountToken"] is False  # it never calls Kubernetes
    assert specs["Deployment/berth-controller"]["serviceAccountName"] == "berth-controller"
    assert specs["Job/berth-migrate"]["automountServiceAccountToken"] is False


def test_settings_come_from_the_config_map_and_secrets_from_the_secret(overlay):
    _, objects = overlay
    config_map = _one(objects, "ConfigMap", "berth-settings-")
    for name in ("berth-api", "berth-controller"):
        (container,) = _one(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": config_map["metadata"]["name"]}}]
        secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
        assert {"DATABASE_URL", "BERTH_SECRETS_KEY"} <= set(secrets)
        assert all(ref["name"] == "berth-secrets" and ref["key"] == env for env, ref in secrets.items())
        assert not {"DATABASE_URL", "BERTH_SECRETS_KEY", "BERTH_GITHUB_WEBHOOK_SECRET"} & set(config_map["data"])


def test_every_deployment_has_a_disruption_budget(overlay):
    _, objects = overlay
    for name in ("berth-api", "berth-controller"):
        selector = _one(objects, "Deployment", name)["spec"]["selector"]
        assert _one(objects, "PodDisruptionBudget", name)["spec"]["selector"] == selector


def test_ingress_is_denied_except_to_the_api_and_metrics_ports(overlay):
    _, objects = overlay
    policies = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "NetworkPolicy"}
    assert policies["berth-default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert policies["berth-api-ingress"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]


def _granted(role: dict) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


def test_rbac_grants_no_more_than_the_kubernetes_platform_needs(overlay):
    _, objects = overlay
    role = _one(objects, "ClusterRole", "berth-controller")
    granted = _granted(role)
    for (group, resource), verbs in granted.items():
        assert "*" not in verbs and group != "*" and resource != "*"
        assert verbs <= NEEDED_RULES.get((group, resource), set()), f"{group}/{resource}: {verbs}"
    # …and what the platform needs is there (apply creates and patches).
    assert set(granted) == set(NEEDED_RULES)
    binding = _one(objects, "ClusterRoleBinding", "berth-controller")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "berth-controller", "namespace": NAMESPACE}]
    assert not any(o["kind"] in ("Role", "RoleBinding") for o in objects)


KUBE_CODE = ROOT / "reconcilers" / "kube"
VERB_CALLS = {"get": {"get"}, "list": {"list"}, "delete": {"delete"}}


def _kube_calls_in_code() -> dict[tuple[str, str], set[str]]:
    """(group, resource) -> verbs, read from reconcilers/kube: `api.get|list|delete("Kind", …)`,
    the kinds of applied manifests (`"kind": "X"` → create + patch) and pod logs."""
    import re

    from reconcilers.kube.api import KINDS

    def where(kind: str) -> tuple[str, str]:
        path = KINDS[kind]
        group = "" if path.prefix == "/api/v1" else path.prefix.split("/")[2]
        return group, path.plural

    needed: dict[tuple[str, str], set[str]] = {}
    for path in KUBE_CODE.rglob("*.py"):
        text = path.read_text()
        for method, kind in re.findall(r'\.(get|list|delete)\(\s*"([A-Z][A-Za-z]+)"', text):
            if kind in KINDS:
                needed.setdefault(where(kind), set()).update(VERB_CALLS[method])
        for kind in re.findall(r'"kind":\s*"([A-Z][A-Za-z]+)"', text):
            if kind in KINDS:
                needed.setdefault(where(kind), set()).update({"create", "patch"})
        if re.search(r"\.pod_log\(", text):
            needed.setdefault(("", "pods/log"), set()).add("get")
    return needed


def test_rbac_grants_every_kubernetes_call_the_code_makes():
    granted = _granted(_one(_render(KUBERNETES / "base"), "ClusterRole", "berth-controller")) if KUBECTL else None
    if granted is None:
        pytest.skip("kubectl is not installed: cannot render the base")
    needed = _kube_calls_in_code()
    assert needed, "the scan found no Kubernetes call"
    missing = {f"{g}/{r}": sorted(v - granted.get((g, r), set())) for (g, r), v in needed.items()}
    assert {k: v for k, v in missing.items() if v} == {}
