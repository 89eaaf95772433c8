"""The describes the environment-scoped reconcilers share between concurrent passes.

Each wraps one multi-id describe in a `CoalescingBatcher` (`batching.py`): every pass
asks for its own object, the passes of the same `window` go out as one call, and
each gets the raw description AWS gave for its id (None when there is none). The
answers are exactly what the one-id call would have returned: the caller converts
them as before. A reconciler keeps one instance of each it uses, for all its passes.

| describe | many ids by | per call |
|---|---|---|
| EC2 DescribeSecurityGroups | `group-name` filter, in one VPC | 200 names |
| Application Auto Scaling DescribeScalableTargets | `ResourceIds` | 50 |
| RDS DescribeDBInstances | `db-instance-id` filter | 100 |
"""

import asyncio
from collections.abc import Iterable
from typing import Any

from reconcilers.aws.batching import CoalescingBatcher
from reconcilers.aws.calls import call

# How long a describe waits for others to join it (a full batch goes at once). Passes of
# one kind drift apart as they run, so a few milliseconds catch almost nobody; measured
# with `berth bench resync` (16 passes in flight per kind), 20 ms shared a call among ~2-9
# passes, 100 ms among ~6-16. 50 ms costs a pass little next to its AWS calls.
BATCH_WINDOW = 0.05
FILTER_VALUES = 200  # EC2: values per filter
SCALABLE_TARGET_IDS = 50  # DescribeScalableTargets: ResourceIds
DB_INSTANCE_FILTER_IDS = 100  # RDS: values per filter; also its largest page


class SecurityGroupsByName:
    """`describe(vpc_id, names)`: the named groups of the VPC (any VPC when None), by name."""

    def __init__(self, ec2: Any, window: float = BATCH_WINDOW):
        self._ec2 = ec2
        self._batcher = CoalescingBatcher(self._fetch, limit=FILTER_VALUES, window=window)

    async def describe(self, vpc_id: str | None, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(names))
        found = await asyncio.gather(*(self._batcher.get(name, vpc_id) for name in wanted))
        return {name: group for name, group in zip(wanted, found, strict=True) if group is not None}

    async def _fetch(self, vpc_id: str | None, names: list[str]) -> dict[str, dict[str, Any]]:
        filters = [{"Name": "group-name", "Values": sorted(names)}]
        if vpc_id:
            filters.append({"Name": "vpc-id", "Values": [vpc_id]})
        groups: dict[str, dict[str, Any]] = {}
        token: str | None = None
        while True:
            paging = {"NextToken": token} if token else {}
            answer = await call(self._ec2.describe_security_groups, Filters=filters, **paging)
            for group in answer.get("SecurityGroups") or ():
                groups.setdefault(group["GroupName"], group)
            token = answer.get("NextToken")
            if not token:
                return groups


class ScalableTargets:
    """`describe(resource_id)`: the scalable target of one resource in one namespace and
    dimension (the group), or None."""

    def __init__(self, autoscaling: Any, window: float = BATCH_WINDOW):
        self._autoscaling = autoscaling
        self._batcher = CoalescingBatcher(self._fetch, limit=SCALABLE_TARGET_IDS, window=window)

    async def describe(self, namespace: str, resource_id: str, dimension: str) -> dict[str, Any] | None:
        return await self._batcher.get(resource_id, (namespace, dimension))

    async def _fetch(self, group: tuple[str, str], resource_ids: list[str]) -> dict[str, dict[str, Any]]:
        namespace, dimension = group
        targets: dict[str, dict[str, Any]] = {}
        token: str | None = None
        while True:
            paging = {"NextToken": token} if token else {}
            answer = await call(
                self._autoscaling.describe_scalable_targets,
                ServiceNamespace=namespace,
                ResourceIds=sorted(resource_ids),
                ScalableDimension=dimension,
                **paging,
            )
            for target in answer.get("ScalableTargets") or ():
                # Kept only when it is one asked for: a filter is not necessarily an exact match.
                if target.get("ResourceId") in resource_ids and target.get("ScalableDimension") == dimension:
                    targets.setdefault(target["ResourceId"], target)
            token = answer.get("NextToken")
            if not token:
                return targets


class DbInstances:
    """`describe(identifier)`: the DB instance's description, or None when there is none."""

    def __init__(self, rds: Any, window: float = BATCH_WINDOW):
        self._rds = rds
        self._batcher = CoalescingBatcher(self._fetch, limit=DB_INSTANCE_FILTER_IDS, window=window)

    async def describe(self, identifier: str) -> dict[str, Any] | None:
        return await self._batcher.get(identifier.lower())

    async def _fetch(self, _: None, identifiers: list[str]) -> dict[str, dict[str, Any]]:
        instances: dict[str, dict[str, Any]] = {}
        marker: str | None = None
        while True:
            paging = {"Marker": marker} if marker else {}
            answer = await call(
                self._rds.describe_db_instances,
                Filters=[{"Name": "db-instance-id", "Values": sorted(identifiers)}],
                MaxRecords=DB_INSTANCE_FILTER_IDS,
                **paging,
            )
            for instance in answer.get("DBInstances") or ():
                instances.setdefault(instance["DBInstanceIdentifier"].lower(), instance)
            marker = answer.get("Marker")
            if not marker:
                return instances
