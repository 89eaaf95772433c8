"""The schema checks the fake API server makes before storing an object (422 Invalid).
A subset of Kubernetes' validation: names, labels, replicas, containers, selectors."""

import base64
import binascii
import re

from controller.sandbox.kube.errors import Cause

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

REQUIRED = "Required value"
LABEL_VALUE_MESSAGE = ("Invalid value: {value!r}: a valid label must be an empty string or consist of alphanumeric "
                       "characters, '-', '_' or '.', and must start and end with an alphanumeric character")
LABEL_KEY_MESSAGE = "Invalid value: {value!r}: name part must consist of alphanumeric characters, '-', '_' or '.'"
NAME_MESSAGE = ("Invalid value: {value!r}: a lowercase RFC 1123 {what} must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character")
NOT_NEGATIVE = "Invalid value: {value}: must be greater than or equal to 0"
SELECTOR_MISMATCH = "Invalid value: {value}: `selector` does not match template `labels`"
RESTART_POLICY = 'Unsupported value: {value!r}: supported values: "OnFailure", "Never"'
IMMUTABLE = "field is immutable"
BOTH_PDB = "minAvailable and maxUnavailable cannot be both set"
BAD_BASE64 = "Invalid value: {value!r}: illegal base64 data"
DUPLICATE = "Duplicate value: {value!r}"
PORT_RANGE = "Invalid value: {value}: must be between 1 and 65535, inclusive"


def _required(field: str) -> Cause:
    return Cause("FieldValueRequired", REQUIRED, field)


def _invalid(field: str, message: str) -> Cause:
    return Cause("FieldValueInvalid", message, field)


def _labels(labels, field: str) -> list[Cause]:
    causes = []
    if not isinstance(labels, dict):
        return [_invalid(field, "must be a map of strings")]
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and not DNS_SUBDOMAIN.match(prefix)) or len(name) > 63 or not LABEL_NAME.match(name):
            causes.append(_invalid(field, LABEL_KEY_MESSAGE.format(value=key)))
        if not isinstance(value, str) or len(value) > 63 or (value and not LABEL_NAME.match(value)):
            causes.append(_invalid(f"{field}[{key}]", LABEL_VALUE_MESSAGE.format(value=value)))
    return causes


def _metadata(obj: dict, plural: str) -> list[Cause]:
    metadata = obj.get("metadata") or {}
    name = metadata.get("name")
    if not name:
        return [_required("metadata.name")]
    causes = []
    if plural == "services":
        ok, what = len(name) <= 63 and DNS_1035.match(name), "label (RFC 1035)"
    elif plural == "namespaces":
        ok, what = len(name) <= 63 and DNS_LABEL.match(name), "label"
    else:
        ok, what = len(name) <= 253 and DNS_SUBDOMAIN.match(name), "subdomain"
    if not ok:
        causes.append(_invalid("metadata.name", NAME_MESSAGE.format(value=name, what=what)))
    causes += _labels(metadata.get("labels") or {}, "metadata.labels")
    for key, value in (metadata.get("annotations") or {}).items():
        if not isinstance(value, str):
            causes.append(_invalid(f"metadata.annotations[{key}]", "must be a string"))
    return causes


def _pod_spec(spec, field: str) -> list[Cause]:
    if not isinstance(spec, dict):
        return [_required(field)]
    containers = spec.get("containers")
    if not containers:
        return [_required(f"{field}.containers")]
    causes, names = [], set()
    for i, container in enumerate(containers):
        here = f"{field}.containers[{i}]"
        name = container.get("name")
        if not name:
            causes.append(_required(f"{here}.name"))
        elif not DNS_LABEL.match(name):
            causes.append(_invalid(f"{here}.name", NAME_MESSAGE.format(value=name, what="label")))
        elif name in names:
            causes.append(Cause("FieldValueDuplicate", DUPLICATE.format(value=name), f"{here}.name"))
        names.add(name)
        if not container.get("image"):
            causes.append(_required(f"{here}.image"))
        for j, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort")
            if not isinstance(number, int) or not 0 < number < 65536:
                causes.append(_invalid(f"{here}.ports[{j}].containerPort", PORT_RANGE.format(value=number)))
    return causes


def _selector_matches(selector, labels) -> bool:
    wanted = (selector or {}).get("matchLabels") or {}
    return all((labels or {}).get(k) == v for k, v in wanted.items())


def _deployment(spec: dict) -> list[Cause]:
    causes = []
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or replicas < 0:
        causes.append(_invalid("spec.replicas", NOT_NEGATIVE.format(value=replicas)))
    selector = spec.get("selector")
    template = spec.get("template") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(_required("spec.selector"))
    elif not _selector_matches(selector, (template.get("metadata") or {}).get("labels")):
        causes.append(_invalid("spec.template.metadata.labels", SELECTOR_MISMATCH.format(value=selector)))
    causes += _labels((template.get("metadata") or {}).get("labels") or {}, "spec.template.metadata.labels")
    causes += _pod_spec(template.get("spec"), "spec.template.spec")
    return causes


def _job(spec: dict) -> list[Cause]:
    template = spec.get("template") or {}
    causes = _pod_spec(template.get("spec"), "spec.template.spec")
    policy = (template.get("spec") or {}).get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        causes.append(Cause("FieldValueNotSupported", RESTART_POLICY.format(value=policy or ""),
                            "spec.template.spec.restartPolicy"))
    for name in ("backoffLimit", "completions", "parallelism", "activeDeadlineSeconds"):
        value = spec.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            causes.append(_invalid(f"spec.{name}", NOT_NEGATIVE.format(value=value)))
    return causes


def _service(spec: dict) -> list[Cause]:
    if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
        return []
    ports = spec.get("ports")
    if not ports:
        return [_required("spec.ports")]
    causes = []
    for i, port in enumerate(ports):
        number = port.get("port")
        if not isinstance(number, int) or not 0 < number < 65536:
            causes.append(_invalid(f"spec.ports[{i}].port", PORT_RANGE.format(value=number)))
    return causes


def _data(obj: dict, secret: bool) -> list[Cause]:
    causes = []
    for key, value in (obj.get("data") or {}).items():
        if not CONFIG_KEY.match(key):
            causes.append(_invalid(f"data[{key}]", "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"))
        if secret:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, TypeError, ValueError):
                causes.append(_invalid(f"data[{key}]", BAD_BASE64.format(value=value)))
        elif not isinstance(value, str):
            causes.append(_invalid(f"data[{key}]", "must be a string"))
    return causes


def validate(plural: str, obj: dict, old: dict | None = None) -> list[Cause]:
    """Causes of a 422 for `obj` (about to replace `old` when given); empty when valid."""
    causes = _metadata(obj, plural)
    spec = obj.get("spec") or {}
    if plural == "deployments":
        causes += _deployment(spec)
        if old is not None and spec.get("selector") != (old.get("spec") or {}).get("selector"):
            causes.append(_invalid("spec.selector", IMMUTABLE))
    elif plural == "jobs":
        causes += _job(spec)
        if old is not None and spec.get("template") != (old.get("spec") or {}).get("template"):
            causes.append(_invalid("spec.template", IMMUTABLE))
    elif plural == "pods":
        causes += _pod_spec(obj.get("spec"), "spec")
    elif plural == "services":
        causes += _service(spec)
    elif plural == "poddisruptionbudgets":
        if "minAvailable" in spec and "maxUnavailable" in spec:
            causes.append(_invalid("spec", BOTH_PDB))
    elif plural in ("secrets", "configmaps"):
        causes += _data(obj, secret=plural == "secrets")
    return causes
