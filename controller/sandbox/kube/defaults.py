"""The defaults a real API server fills in, so what berth reads back looks like a cluster's
(a plan that compares everything, not only what it set, never converges — as on a cluster)."""

import hashlib

POD_DEFAULTS = {
    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30, "securityContext": {},
}
CONTAINER_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "resources": {},
}
DEPLOYMENT_DEFAULTS = {
    "replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
}
JOB_DEFAULTS = {
    "backoffLimit": 6, "completions": 1, "parallelism": 1, "completionMode": "NonIndexed", "suspend": False,
    "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False,
}
SERVICE_DEFAULTS = {
    "type": "ClusterIP", "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
    "internalTrafficPolicy": "Cluster",
}
JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")


def _fill(target: dict, defaults: dict) -> None:
    for key, value in defaults.items():
        target.setdefault(key, value.copy() if isinstance(value, (dict, list)) else value)


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    return "Always" if ":" not in name or name.endswith(":latest") else "IfNotPresent"


def default_pod_spec(spec: dict) -> None:
    _fill(spec, POD_DEFAULTS)
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        _fill(container, CONTAINER_DEFAULTS)
        container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image") or ""))
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")


def template_hash(template: dict) -> str:
    """A stable short hash of a pod template, as the pod-template-hash label."""
    import json

    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def apply_defaults(plural: str, obj: dict, *, cluster_ip) -> None:
    """Fill in `obj` in place (`cluster_ip()`: an address for a new Service)."""
    metadata = obj.setdefault("metadata", {})
    spec = obj.get("spec")
    if plural == "namespaces":
        metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = metadata.get("name", "")
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
    elif plural == "pods" and isinstance(spec, dict):
        default_pod_spec(spec)
        obj.setdefault("status", {}).setdefault("phase", "Pending")
    elif plural == "deployments" and isinstance(spec, dict):
        _fill(spec, DEPLOYMENT_DEFAULTS)
        default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))
    elif plural == "jobs" and isinstance(spec, dict):
        _fill(spec, JOB_DEFAULTS)
        uid = metadata.get("uid", "")
        if not spec.get("selector"):
            spec["selector"] = {"matchLabels": {JOB_UID_LABEL: uid}}
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.setdefault(JOB_UID_LABEL, uid)
        labels.setdefault("controller-uid", uid)
        for name in JOB_NAME_LABELS:
            labels.setdefault(name, metadata.get("name", ""))
        default_pod_spec(spec["template"].setdefault("spec", {}))
    elif plural == "services" and isinstance(spec, dict):
        _fill(spec, SERVICE_DEFAULTS)
        if spec["type"] != "ExternalName":
            if "clusterIP" not in spec:
                spec["clusterIP"] = cluster_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        obj.setdefault("status", {}).setdefault("loadBalancer", {})
    elif plural == "secrets":
        obj.setdefault("type", "Opaque")
