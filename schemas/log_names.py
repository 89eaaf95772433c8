"""Where an environment's container logs live in CloudWatch Logs.

Shared by the workload reconciler (which creates the group and points the awslogs
driver at it) and the API's logs route (which reads it), so both name it the same way.
"""

LOG_GROUP = "/berth/{organisation}/{application}/{environment}"
# The awslogs driver's `awslogs-stream-prefix`: streams are `berth/{container}/{task id}`.
LOG_STREAM_PREFIX = "berth"


def log_group_name(organisation: str, application: str, environment: str) -> str:
    return LOG_GROUP.format(organisation=organisation, application=application, environment=environment)


def container_stream_prefix(container: str) -> str:
    """Every stream of one container, whichever task wrote it."""
    return f"{LOG_STREAM_PREFIX}/{container}/"


def container_of_stream(stream: str) -> str | None:
    """`berth/{container}/{task id}` → the container's name; None for any other stream."""
    prefix, _, rest = stream.partition("/")
    container, _, task = rest.partition("/")
    return container if prefix == LOG_STREAM_PREFIX and container and task else None
