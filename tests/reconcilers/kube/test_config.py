"""KubeConfig from the environment (pure)."""

import pytest

from reconcilers.kube.config import DEFAULT_BUILD_IMAGE, KubeConfig


def test_nothing_configured_means_disabled():
    config = KubeConfig.from_env({})
    assert not config.enabled and config.build_image == DEFAULT_BUILD_IMAGE


def test_kubeconfig_or_in_cluster_enable_it():
    assert KubeConfig.from_env({"BERTH_KUBECONFIG": "/data/kubeconfig"}).enabled
    assert KubeConfig.from_env({"BERTH_KUBE_IN_CLUSTER": "true"}).in_cluster


def test_builder_registry_and_port():
    config = KubeConfig.from_env(
        {"BERTH_BUILD_IMAGE": "moby/buildkit:v0.16.0-rootless", "BERTH_IMAGE_REGISTRY": "ghcr.io/acme/",
         "BERTH_IMAGE_REGISTRY_SECRET": "pull", "BERTH_WEB_PORT": "5000"}
    )
    assert config.build_image.startswith("moby/buildkit") and config.registry == "ghcr.io/acme"
    assert config.render.web_port == 5000 and config.render.image_pull_secret == "pull"


@pytest.mark.parametrize(("name", "value"), [("BERTH_KUBE_METRICS_SECONDS", "-1"), ("BERTH_WEB_PORT", "http")])
def test_bad_values_are_refused_naming_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        KubeConfig.from_env({name: value})
