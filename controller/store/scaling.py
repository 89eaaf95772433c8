"""Reads for the scaling-policies routes: an environment's stored policies and what its
autoscaling reconciler observed of them."""

from dataclasses import dataclass
from typing import Any

import asyncpg

from controller.store.kinds import AUTOSCALING_KIND  # its status outputs carry each policy's ARN
from controller.store.queries import QUERIES


@dataclass(frozen=True, slots=True)
class StoredScaling:
    policies: list[dict[str, Any]]  # the spec's `scalingPolicies`, wire form
    policy_arns: dict[str, str]  # policy name -> ARN, for those the reconciler has put


async def scaling_policies(
    pool: asyncpg.Pool, organisation_id: int, application: str, environment: str
) -> StoredScaling | None:
    """None when the organisation has no such application or environment."""
    row = await pool.fetchrow(QUERIES.scaling_policies, organisation_id, application, environment, AUTOSCALING_KIND)
    if row is None:
        return None
    observed = (row["outputs"] or {}).get("policies") or []
    arns = {p["policyName"]: p["policyArn"] for p in observed if p.get("policyName") and p.get("policyArn")}
    return StoredScaling(list(row["policies"]), arns)
