"""`AwsConfig.from_env`."""

import pytest

from reconcilers.aws.config import AwsConfig


def test_defaults_are_real_aws_in_us_east_1():
    config = AwsConfig.from_env({})
    assert config == AwsConfig(aws_rate_scale=1.0)
    assert (config.region, config.cluster_name, config.endpoint_url, config.assign_public_ip) == (
        "us-east-1",
        "berth",
        None,
        False,
    )
    assert not config.network_given


def test_everything_from_the_environment():
    config = AwsConfig.from_env(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "us-west-2",
            "BERTH_ECS_CLUSTER": "apps",
            "BERTH_SUBNET_IDS": "subnet-b, subnet-a,",
            "BERTH_SECURITY_GROUP_IDS": "sg-1",
            "BERTH_ASSIGN_PUBLIC_IP": "no",
            "BERTH_ECR_REGISTRY": "123.dkr.ecr.eu-west-1.amazonaws.com/",
            "BERTH_EXECUTION_ROLE_ARN": "arn:exec",
            "BERTH_ROLLOUT_POLL_SECONDS": "2.5",
        }
    )
    assert config == AwsConfig(
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:5000",
        cluster_name="apps",
        subnet_ids=("subnet-a", "subnet-b"),
        security_group_ids=("sg-1",),
        assign_public_ip=False,
        ecr_registry="123.dkr.ecr.eu-west-1.amazonaws.com",
        execution_role_arn="arn:exec",
        rollout_poll_seconds=2.5,
    )


def test_a_simulated_endpoint_gives_tasks_public_ips_by_default():
    assert AwsConfig.from_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}).assign_public_ip is True
    assert AwsConfig.from_env({"AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BERTH_SUBNET_IDS": "subnet-a"}, "together"),
        ({"BERTH_ASSIGN_PUBLIC_IP": "maybe"}, "yes/no"),
        ({"BERTH_ROLLOUT_POLL_SECONDS": "-1"}, "positive"),
        ({"BERTH_ROLLOUT_POLL_SECONDS": "soon"}, "positive"),
        ({"BERTH_AWS_RATE_SCALE": "0"}, "positive"),
    ],
)
def test_bad_values_are_refused(environ, message):
    with pytest.raises(ValueError, match=message):
        AwsConfig.from_env(environ)


def test_the_client_side_rate_limit_is_on_against_real_aws_and_off_against_a_simulation():
    assert AwsConfig.from_env({}).aws_rate_scale == 1.0
    assert AwsConfig.from_env({"BERTH_AWS_RATE_SCALE": "0.5"}).aws_rate_scale == 0.5
    simulated = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
    assert AwsConfig.from_env(simulated).aws_rate_scale is None
    assert AwsConfig.from_env({**simulated, "BERTH_AWS_RATE_SCALE": "0.8"}).aws_rate_scale == 0.8
