"""Records for the kube reconcilers' tests."""

from datetime import UTC, datetime
from uuid import UUID

from reconcilers.kube.ports import KubeApplication, KubeRelease

APP_ID = UUID("00000000-0000-4000-8000-000000000001")


def application(**changes) -> KubeApplication:
    fields = {
        "id": APP_ID,
        "organisation": "acme",
        "project": "shop",
        "slug": "store",
        "generation": 1,
        "deleting": False,
        "process_counts": {"web": 2, "worker": 1},
        "process_pod_classes": {"web": "medium"},
        "deployment_timeout": 180,
        "health_check_path": "/_health/",
        "health_check_host": None,
    }
    fields.update(changes)
    return KubeApplication(**fields)


def release(version: int = 1, **changes) -> KubeRelease:
    fields = {
        "id": UUID(int=1000 + version),
        "version": version,
        "image_reference": f"registry.test/acme/store:{version}",
        "processes": {"web": "gunicorn app:app", "worker": "celery worker"},
        "configuration": {"DEBUG": "0", "SECRET_KEY": "s3cret"},
    }
    fields.update(changes)
    return KubeRelease(**fields)


T0 = datetime(2026, 1, 1, tzinfo=UTC)
