"""`AwsClients` and the reconcilers it serves."""

from controller.store.kinds import ENVIRONMENT_KINDS
from reconcilers.aws import AwsClients, AwsConfig, aws_reconcilers
from schemas.kinds import Kind


def test_the_endpoint_is_passed_only_when_configured():
    real = AwsClients(AwsConfig(region="eu-west-1"))._client_arguments()
    assert "endpoint_url" not in real
    assert real["region_name"] == "eu-west-1"
    assert real["config"].retries == {"mode": "standard", "total_max_attempts": 3}
    simulated = AwsClients(AwsConfig(endpoint_url="http://127.0.0.1:1"))._client_arguments()
    assert simulated["endpoint_url"] == "http://127.0.0.1:1"


async def test_clients_open_once_and_close(aws_config):
    async with AwsClients(aws_config, sdk_attempts=1) as clients:
        assert (await clients.ecs.list_clusters())["clusterArns"] is not None
        reconcilers = aws_reconcilers(clients, aws_config)
    # One reconciler for every kind the store queues, each kind once.
    assert sorted(r.kind for r in reconcilers) == sorted((Kind.AWS_NETWORK, *ENVIRONMENT_KINDS))


async def test_ecs_once_makes_a_single_attempt(aws_config):
    async with AwsClients(aws_config) as clients:
        assert clients.ecs_once.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
