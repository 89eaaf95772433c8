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
| EC2 DescribeNetworkInterfaces (a mount target's security groups) | `network-interface-id` filter | 200 |
| CloudWatch Logs DescribeLogGroups | a listing of the names' common prefix | 50 a page |
| Application Auto Scaling DescribeScalingPolicies | a listing of the namespace | 50 a page |

The last two take one id a call: a batch lists instead, when the listing costs fewer
calls than the ids (`_ListedOrEach`).
"""

import asyncio
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from reconcilers.aws.batching import CoalescingBatcher
from reconcilers.aws.calls import call

# How long a describe waits for others to join it (a full batch goes at once). Passes of
# one kind drift apart as they run, so a few milliseconds catch almost nobody; measured
# with `berth bench resync` (16 passes in flight per kind), 20 ms shared a call among ~2-9
# passes, 100 ms among ~6-16. 50 ms costs a pass little next to its AWS calls.
BATCH_WINDOW = 0.05
# Passes in flight per kind for the kinds whose resync reads are batched (the runtime's
# default is 16): a batch can be no larger than the passes waiting for it, so with 16 a
# shared describe costs at least 1/16 per pass. A pass waiting on a batch is cheap (it
# holds no database connection). Measured with `berth bench resync` (300 applications):
# 16 → 0.47 reads per application, 64 → 0.32.
BATCHED_PASSES_IN_FLIGHT = 64
FILTER_VALUES = 200  # EC2: values per filter
SCALABLE_TARGET_IDS = 50  # DescribeScalableTargets: ResourceIds
DB_INSTANCE_FILTER_IDS = 100  # RDS: values per filter; also its largest page
LOG_GROUPS_PAGE = 50  # DescribeLogGroups: its largest page
SCALING_POLICIES_PAGE = 50  # DescribeScalingPolicies: its largest page
# Ids one listing answers: any number; bounded so that a batch is bounded.
LOG_GROUPS_BATCH = SCALING_POLICIES_BATCH = 1000
KNOWN_SCOPES = 1000  # listings whose size is remembered


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


class InterfaceGroups:
    """`describe(interface_id)`: the security group ids of a network interface (sorted),
    or None when there is no such interface. An EFS mount target's security groups are
    its interface's: DescribeMountTargetSecurityGroups takes one mount target a call."""

    def __init__(self, ec2: Any, window: float = BATCH_WINDOW):
        self._ec2 = ec2
        self._batcher = CoalescingBatcher(self._fetch, limit=FILTER_VALUES, window=window)

    async def describe(self, interface_id: str) -> tuple[str, ...] | None:
        return await self._batcher.get(interface_id)

    async def _fetch(self, _: None, interface_ids: list[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        token: str | None = None
        while True:
            paging = {"NextToken": token} if token else {}
            answer = await call(
                self._ec2.describe_network_interfaces,
                Filters=[{"Name": "network-interface-id", "Values": sorted(interface_ids)}],
                **paging,
            )
            for interface in answer.get("NetworkInterfaces") or ():
                groups = tuple(sorted(g["GroupId"] for g in interface.get("Groups") or ()))
                found.setdefault(interface["NetworkInterfaceId"], groups)
            token = answer.get("NextToken")
            if not token:
                return found


class _ListedOrEach(ABC):
    """A batch of ids answered by one listing of their scope (a name prefix, a namespace)
    when that costs fewer calls than the ids, else by one describe per id.

    The listing stops once it has made as many pages as the ids less one (it would cost
    more than the ids then); the ids it did not settle are described one by one. How
    many pages a scope took is remembered, so that a batch smaller than its listing
    goes straight to the ids. Subclasses say how to list a page and describe one id;
    `partial_settles`: an id found before the listing ends is fully known (it names one
    object, not a collection that later pages might add to)."""

    partial_settles = True

    def __init__(self, window: float, limit: int):
        self._batcher = CoalescingBatcher(self._fetch, limit=limit, window=window)
        self._pages: dict[Any, int] = {}  # scope → pages its last listing took (at least)

    @abstractmethod
    def _scope(self, group: Any, ids: set[Any]) -> Any:
        """What one listing covers for this batch (a name prefix, a namespace)."""

    @abstractmethod
    async def _page(self, scope: Any, token: str | None) -> tuple[list[tuple[Any, Any]], str | None]:
        """One page of the listing: (id, item) pairs and the next page's token."""

    @abstractmethod
    async def _one(self, group: Any, id_: Any) -> Any:
        """One id described on its own."""

    def _add(self, found: dict[Any, Any], id_: Any, item: Any) -> None:
        found.setdefault(id_, item)

    async def _fetch(self, group: Any, ids: list[Any]) -> dict[Any, Any]:
        wanted = set(ids)
        scope = self._scope(group, wanted)
        budget = len(wanted) - 1  # pages a listing may take and still cost less than the ids
        found: dict[Any, Any] = {}
        if budget > 0 and self._pages.get(scope, 1) <= budget:
            found, complete = await self._list(scope, wanted, budget)
            if complete:
                return found
            if not self.partial_settles:
                found = {}
        rest = sorted(wanted - found.keys())
        for id_, item in zip(rest, await asyncio.gather(*(self._one(group, i) for i in rest)), strict=True):
            if item is not None:
                found[id_] = item
        return found

    async def _list(self, scope: Any, wanted: set[Any], budget: int) -> tuple[dict[Any, Any], bool]:
        """The wanted ids' items in the scope, and whether the listing reached its end."""
        found: dict[Any, Any] = {}
        token: str | None = None
        for pages in range(1, budget + 1):
            items, token = await self._page(scope, token)
            for id_, item in items:
                if id_ in wanted:
                    self._add(found, id_, item)
            if not token:
                self._remember(scope, pages)
                return found, True
        self._remember(scope, budget + 1)
        return found, False

    def _remember(self, scope: Any, pages: int) -> None:
        if scope not in self._pages and len(self._pages) >= KNOWN_SCOPES:
            self._pages.clear()  # rarely many scopes: forgetting only costs one listing each
        self._pages[scope] = pages


class LogGroups(_ListedOrEach):
    """`describe(name)`: the log group of exactly that name, or None.

    DescribeLogGroups takes no list of names (`logGroupIdentifiers` does, but moto, which
    the tests run on, ignores it), only a name prefix: a batch lists its names' longest
    common prefix (`/berth/{organisation}/…`), 50 groups a page, or describes each name
    by itself as a prefix."""

    def __init__(self, logs: Any, window: float = BATCH_WINDOW):
        super().__init__(window, LOG_GROUPS_BATCH)
        self._logs = logs

    async def describe(self, name: str) -> dict[str, Any] | None:
        return await self._batcher.get(name)

    def _scope(self, _: None, names: set[str]) -> str:
        return os.path.commonprefix(sorted(names))

    async def _page(self, prefix: str, token: str | None) -> tuple[list[tuple[str, Any]], str | None]:
        arguments: dict[str, Any] = {"limit": LOG_GROUPS_PAGE}
        if prefix:
            arguments["logGroupNamePrefix"] = prefix
        if token:
            arguments["nextToken"] = token
        answer = await call(self._logs.describe_log_groups, **arguments)
        return [(g.get("logGroupName"), g) for g in answer.get("logGroups") or ()], answer.get("nextToken")

    async def _one(self, _: None, name: str) -> dict[str, Any] | None:
        answer = await call(self._logs.describe_log_groups, logGroupNamePrefix=name, limit=LOG_GROUPS_PAGE)
        return next((g for g in answer.get("logGroups") or () if g.get("logGroupName") == name), None)


class ScalingPolicies(_ListedOrEach):
    """`describe(namespace, resource_id, dimension)`: every scaling policy on the resource
    and dimension (berth's and anyone else's, so that those berth did not name can be
    removed), as AWS describes them; [] when there are none.

    DescribeScalingPolicies takes one `ResourceId` (or `PolicyNames`, which would miss
    the unnamed ones): a batch lists the whole namespace, 50 policies a page, or
    describes each resource by itself."""

    partial_settles = False  # a resource's policies may continue on a later page

    def __init__(self, autoscaling: Any, window: float = BATCH_WINDOW):
        super().__init__(window, SCALING_POLICIES_BATCH)
        self._autoscaling = autoscaling

    async def describe(self, namespace: str, resource_id: str, dimension: str) -> list[dict[str, Any]]:
        return await self._batcher.get(resource_id, (namespace, dimension)) or []

    def _scope(self, group: tuple[str, str], _: set[str]) -> tuple[str, str]:
        return group

    def _add(self, found: dict[str, Any], resource_id: str, policy: Any) -> None:
        found.setdefault(resource_id, []).append(policy)

    async def _page(self, group: tuple[str, str], token: str | None) -> tuple[list[tuple[str, Any]], str | None]:
        namespace, dimension = group
        paging = {"NextToken": token} if token else {}
        answer = await call(
            self._autoscaling.describe_scaling_policies,
            ServiceNamespace=namespace,
            MaxResults=SCALING_POLICIES_PAGE,
            **paging,
        )
        policies = [p for p in answer.get("ScalingPolicies") or () if p.get("ScalableDimension") == dimension]
        return [(p.get("ResourceId"), p) for p in policies], answer.get("NextToken")

    async def _one(self, group: tuple[str, str], resource_id: str) -> list[dict[str, Any]]:
        namespace, dimension = group
        policies: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            paging = {"NextToken": token} if token else {}
            answer = await call(
                self._autoscaling.describe_scaling_policies,
                ServiceNamespace=namespace,
                ResourceId=resource_id,
                ScalableDimension=dimension,
                MaxResults=SCALING_POLICIES_PAGE,
                **paging,
            )
            # Filtered again: a resource id filter is not necessarily an exact match.
            policies.extend(
                p for p in answer.get("ScalingPolicies") or ()
                if (p.get("ResourceId"), p.get("ScalableDimension")) == (resource_id, dimension)
            )  # fmt: skip
            token = answer.get("NextToken")
            if not token:
                return policies
