"""The Kubernetes Job that builds an image from a GitHub repository. Pure.

The builder image is configurable (BERTH_BUILD_IMAGE). kaniko's executor (the default)
builds from a git context `git://github.com/{repo}.git#{ref}#{commit}` and pushes to
`{registry}/{organisation}/{project}/{application}:{version}`; it writes the pushed
digest to the container's termination message, so the image is recorded by digest.
A BuildKit image (its name contains `buildkit`) runs `buildctl-daemonless.sh` with the
same context and destination. Buildtime configuration goes in through a Secret the
Job's container reads as environment (`envFrom`), passed as `--build-arg NAME` (the
value comes from the environment), so no value is ever part of the Job's spec.
"""

import base64
from collections.abc import Mapping
from typing import Any

from reconcilers.kube.naming import IMAGE_ID_KEY, PROCESS_KEY, application_labels, build_job_name, dns_label, namespace_name
from reconcilers.kube.ports import KubeBuild
from reconcilers.kube.render import SECRET_KEY, stamped

BUILD_PROCESS = "build"
DEADLINE_SECONDS = 3600
KEEP_FINISHED_SECONDS = 86400
TERMINATION_LOG = "/dev/termination-log"

NO_REPOSITORY = "the application has no github_repository to build from"


def image_repository(build: KubeBuild, registry: str) -> str:
    app = build.application
    return f"{registry}/{dns_label(app.organisation)}/{dns_label(app.project)}/{dns_label(app.slug)}"


def image_tag(build: KubeBuild, registry: str) -> str:
    return f"{image_repository(build, registry)}:v{build.version}"


def build_secret_name(build: KubeBuild) -> str:
    return f"{build_job_name(build.application, build.version)}-args"


def _git_ref(build: KubeBuild) -> str:
    ref = build.build_ref or "main"
    return ref if ref.startswith("refs/") else f"refs/heads/{ref}"


def _labels(build: KubeBuild) -> dict[str, str]:
    return {**application_labels(build.application), IMAGE_ID_KEY: str(build.id), PROCESS_KEY: BUILD_PROCESS}


def _kaniko(build: KubeBuild, destination: str) -> dict[str, Any]:
    app = build.application
    context = f"git://github.com/{app.github_repository}.git#{_git_ref(build)}"
    if build.commit_sha:
        context += f"#{build.commit_sha}"
    args = [f"--context={context}", f"--destination={destination}", f"--digest-file={TERMINATION_LOG}"]
    if app.subdirectory:
        args.append(f"--context-sub-path={app.subdirectory.strip('/')}")
    args += [f"--build-arg={name}" for name in sorted(build.build_arguments) if SECRET_KEY.match(name)]
    return {"args": args}


def _buildkit(build: KubeBuild, destination: str) -> dict[str, Any]:
    app = build.application
    context = f"https://github.com/{app.github_repository}.git#{build.commit_sha or _git_ref(build)}"
    if app.subdirectory:
        context += f":{app.subdirectory.strip('/')}"
    args = [
        "build",
        "--frontend=dockerfile.v0",
        f"--opt=context={context}",
        f"--output=type=image,name={destination},push=true",
    ]
    args += [f"--opt=build-arg:{name}" for name in sorted(build.build_arguments) if SECRET_KEY.match(name)]
    return {"command": ["buildctl-daemonless.sh"], "args": args, "env": [{"name": "BUILDKITD_FLAGS", "value": "--oci-worker-no-process-sandbox"}]}


def render_build_secret(build: KubeBuild) -> dict[str, Any]:
    app = build.application
    data = {
        name: base64.b64encode(value.encode()).decode()
        for name, value in sorted(build.build_arguments.items())
        if SECRET_KEY.match(name)
    }
    return stamped(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": build_secret_name(build), "namespace": namespace_name(app), "labels": _labels(build)},
            "type": "Opaque",
            "data": data,
        }
    )


def render_build_job(build: KubeBuild, builder_image: str, registry: str, registry_secret: str | None) -> dict[str, Any]:
    app = build.application
    destination = image_tag(build, registry)
    container: dict[str, Any] = {
        "name": BUILD_PROCESS,
        "image": builder_image,
        "envFrom": [{"secretRef": {"name": build_secret_name(build)}}],
        "terminationMessagePath": TERMINATION_LOG,
        **(_buildkit(build, destination) if "buildkit" in builder_image else _kaniko(build, destination)),
    }
    pod_spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if registry_secret:
        # kaniko reads registry credentials from /kaniko/.docker/config.json.
        pod_spec["volumes"] = [
            {"name": "registry", "secret": {"secretName": registry_secret, "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}}
        ]
        container["volumeMounts"] = [{"name": "registry", "mountPath": "/kaniko/.docker"}]
    return stamped(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": build_job_name(app, build.version), "namespace": namespace_name(app), "labels": _labels(build)},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": DEADLINE_SECONDS,
                "ttlSecondsAfterFinished": KEEP_FINISHED_SECONDS,
                "template": {"metadata": {"labels": _labels(build)}, "spec": pod_spec},
            },
        }
    )


def job_outcome(job: Mapping[str, Any]) -> tuple[str, str]:
    """("complete" | "failed" | "running", why) from the Job's conditions."""
    for condition in (job.get("status") or {}).get("conditions") or ():
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return "complete", ""
        if condition.get("type") == "Failed":
            return "failed", f"{condition.get('reason', 'Failed')}: {condition.get('message', '')}".rstrip(": ")
    return "running", ""


def pushed_reference(pod: Mapping[str, Any] | None, tag: str) -> str:
    """`repository@sha256:…` when the builder left the digest in its termination message."""
    for container in ((pod or {}).get("status") or {}).get("containerStatuses") or ():
        message = ((container.get("state") or {}).get("terminated") or {}).get("message") or ""
        digest = message.strip()
        if digest.startswith("sha256:"):
            return f"{tag.rsplit(':', 1)[0]}@{digest}"
    return tag
