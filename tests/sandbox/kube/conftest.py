from tests.fakes.kube import kube, kube_api, kube_server, kubeconfig_path  # noqa: F401
