"""Small manifests the fake Kubernetes tests apply."""


def deployment(name: str = "web", *, image: str = "nginx:1.27", replicas: int = 2, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "web", "image": image,
                                                  "ports": [{"containerPort": 8080}]}]}},
        },
    }


def job(name: str = "build", *, image: str = "gcr.io/kaniko-project/executor:v1.23.2") -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "build", "image": image}]}}},
    }


def namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
