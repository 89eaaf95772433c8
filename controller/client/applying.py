"""`berth apply` and `berth diff`: the plan of every application first (nothing is
written unless every body is valid), then the writes, then convergence followed."""

import time
from typing import Any

from controller.client.api_client import Api
from controller.client.manifests import Manifest
from controller.client.outcomes import Exit
from controller.client.progress import PRODUCTION, Observation, Phase, follow, observation
from controller.client.render import LineProgress, LiveProgress, Output, plan_lines, progress_summary
from controller.client.outcomes import ApiError

WROTE = {201: "created", 200: "replaced"}
RESULTS = {Phase.READY: "converged", Phase.FAILED: "failed"}


async def plans(api: Api, manifests: list[Manifest]) -> list[dict[str, Any]]:
    return [await api.plan(manifest.name, manifest.body) for manifest in manifests]


async def diff(api: Api, output: Output, manifests: list[Manifest]) -> Exit:
    found = await plans(api, manifests)
    if output.as_json:
        output.json({"applications": found})
    else:
        for plan in found:
            output.print(*plan_lines(plan))
    return Exit.FAILED if any(plan.get("action") != "none" for plan in found) else Exit.OK


async def observe(api: Api, name: str) -> Observation:
    application = await api.application(name)
    try:
        production = await api.environment(name, PRODUCTION)
    except ApiError as error:
        if error.status != 404:
            raise
        production = None
    return observation(application, production)


async def apply(
    api: Api, output: Output, manifests: list[Manifest], *,
    dry_run: bool, wait: bool, timeout: float, interval: float,
) -> Exit:
    found = await plans(api, manifests)
    if not output.as_json:
        for plan in found:
            output.print(*plan_lines(plan))
    report: dict[str, dict[str, Any]] = {
        plan["appName"]: {"appName": plan["appName"], "plan": plan} for plan in found
    }
    if dry_run:
        if output.as_json:
            output.json({"applications": list(report.values())})
        return Exit.OK
    for manifest in manifests:
        status, _ = await api.apply(manifest.name, manifest.body)
        changed = report[manifest.name]["plan"].get("action") != "none"
        report[manifest.name]["applied"] = WROTE.get(status, "replaced") if changed else "unchanged"
        if not output.as_json:
            output.print(f"{manifest.name}: {report[manifest.name]['applied']}")
    code = Exit.OK
    if wait:
        code = await _converge(api, output, [m.name for m in manifests], report, timeout, interval)
    if output.as_json:
        output.json({"applications": list(report.values())})
    return code


async def _converge(
    api: Api, output: Output, names: list[str], report: dict[str, dict[str, Any]], timeout: float, interval: float
) -> Exit:
    started = time.monotonic()

    def elapsed() -> float:
        return time.monotonic() - started

    display = (LiveProgress if output.live else LineProgress)(output, elapsed)
    with display:
        seen = await follow(
            names, lambda name: observe(api, name), display if not output.as_json else (lambda _: None),
            timeout=timeout, interval=interval,
        )
    for name, found in seen.items():
        report[name]["result"] = RESULTS.get(found.phase, "timedOut")
        report[name]["resources"] = [
            {"kind": r.kind, "name": r.name, "phase": r.phase.value, "detail": r.detail} for r in found.resources
        ]
        if not output.as_json:
            output.print(progress_summary(found, elapsed()))
    phases = [found.phase for found in seen.values()]
    if Phase.FAILED in phases:
        return Exit.FAILED
    if any(phase != Phase.READY for phase in phases):
        return Exit.TIMED_OUT
    return Exit.OK
