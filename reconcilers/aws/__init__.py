"""AWS reconcilers: the shared network and ECS-on-Fargate environments (aioboto3)."""
