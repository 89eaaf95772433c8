"""What the client prints: plans as field-level diffs, application status, events, log
lines, and convergence (a live display on a terminal, one line per change otherwise).

Everything goes through rich, which leaves colour out when the stream is not a terminal
(or NO_COLOR is set); `--output json` bypasses it and prints JSON only.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

import yaml
from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from controller.client.progress import Observation, Phase, Resource, counts

INLINE = 70  # values longer than this (as compact JSON) are shown indented below their change
OP_SIGNS = {"add": ("+", "green"), "remove": ("-", "red"), "replace": ("~", "yellow")}
PHASE_STYLES = {
    Phase.PENDING: "dim",
    Phase.CONVERGING: "yellow",
    Phase.READY: "green",
    Phase.FAILED: "bold red",
    Phase.DELETING: "magenta",
}
PHASE_MARKS = {Phase.PENDING: "○", Phase.CONVERGING: "◌", Phase.READY: "✓", Phase.FAILED: "✗", Phase.DELETING: "-"}
STATUS_STYLES = {"running": "green", "degraded": "bold red", "deploying": "yellow", "pending": "dim", "deleting": "magenta"}


class Output:
    """stdout and stderr, for people (rich) or machines (`--output json`)."""

    def __init__(self, stdout: TextIO, stderr: TextIO, as_json: bool = False):
        self.stdout = stdout
        self.as_json = as_json
        self.console = Console(file=stdout, highlight=False, soft_wrap=True, emoji=False)
        self.errors = Console(file=stderr, highlight=False, soft_wrap=True, emoji=False)

    @property
    def live(self) -> bool:
        return self.console.is_terminal and not self.as_json

    def print(self, *lines: Text | str) -> None:
        for line in lines:
            self.console.print(line)

    def json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
        self.stdout.flush()

    def json_line(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, default=str) + "\n")
        self.stdout.flush()

    def error(self, message: str) -> None:
        self.errors.print(Text(f"berth: {message}", style="red"))


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def columns(rows: Sequence[Sequence[str]], gap: str = "  ") -> list[str]:
    """Rows padded into left-aligned columns (the last column is not padded)."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    return [gap.join(cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)).rstrip()
            for row in rows]


# --- plans ---------------------------------------------------------------------------

def plan_lines(plan: Mapping[str, Any]) -> list[Text]:
    name, action, changes = plan.get("appName", "?"), plan.get("action"), plan.get("changes") or []
    head = Text(name, style="bold")
    if action == "none":
        return [head + Text("  no changes", style="dim")]
    head.append(f"  {action}", style="cyan")
    if plan.get("generation") is not None:
        head.append(f"  (generation {plan['generation']}, production generation {plan.get('productionGeneration')})",
                    style="dim")
    if plan.get("newDeployment"):
        head.append("  → new deployment", style="yellow")
    lines = [head]
    for change in changes:
        lines += change_lines(change)
    return lines


def change_lines(change: Mapping[str, Any]) -> list[Text]:
    op = change.get("op", "replace")
    sign, style = OP_SIGNS.get(op, ("?", ""))
    line = Text(f"  {sign} ", style=style) + Text(change.get("path") or "/", style=style)
    below: list[Text] = []
    if op == "replace":
        before, after = compact(change.get("before")), compact(change.get("after"))
        if len(before) + len(after) <= INLINE:
            line += Text("  ") + Text(before, style="red") + Text(" → ") + Text(after, style="green")
        else:
            below += _value(change.get("before"), "red", "- ") + _value(change.get("after"), "green", "+ ")
    else:
        value = change.get("after") if op == "add" else change.get("before")
        shown = compact(value)
        if len(shown) <= INLINE:
            line += Text("  ") + Text(shown, style=style)
        else:
            below += _value(value, style, "")
    effects = [Text(f"      {e.get('resource')}: {e.get('action')}", style="dim") for e in change.get("effects") or []]
    return [line, *below, *effects]


def _value(value: Any, style: str, sign: str) -> list[Text]:
    """A large value as YAML, the manifests' own notation (lists of scalars kept on one line)."""
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return [Text(f"      {sign}{row}", style=style) for row in text.splitlines()]


# --- convergence ---------------------------------------------------------------------

def resource_label(resource: Resource) -> str:
    return resource.name if resource.kind == "application" else f"{resource.kind} {resource.name}"


class LineProgress:
    """One line each time a resource's phase or detail changes (logs, CI, pipes)."""

    def __init__(self, output: Output, elapsed):
        self.output = output
        self.elapsed = elapsed
        self.seen: dict[tuple[str, str], tuple[Phase, str]] = {}

    def __enter__(self) -> "LineProgress":
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def __call__(self, observations: Mapping[str, Observation]) -> None:
        for observation in observations.values():
            for resource in observation.resources:
                key, now = (resource.kind, resource.name), (resource.phase, resource.detail)
                if self.seen.get(key) == now:
                    continue
                self.seen[key] = now
                line = Text(f"[{self.elapsed():>4.0f}s] ", style="dim") + Text(resource_label(resource).ljust(32))
                line += Text(f" {resource.phase.value:<10}", style=PHASE_STYLES[resource.phase])
                if resource.detail:
                    line += Text(f"  {resource.detail}")
                self.output.print(line)


class LiveProgress:
    """A table redrawn in place on a terminal: each resource with its phase."""

    def __init__(self, output: Output, elapsed):
        self.elapsed = elapsed
        self.live = Live(console=output.console, refresh_per_second=8, transient=False)

    def __enter__(self) -> "LiveProgress":
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    def __call__(self, observations: Mapping[str, Observation]) -> None:
        table = Table.grid(padding=(0, 2))
        for observation in observations.values():
            for resource in observation.resources:
                mark: Any = (Spinner("dots", style="yellow") if resource.phase == Phase.CONVERGING
                             else Text(PHASE_MARKS[resource.phase], style=PHASE_STYLES[resource.phase]))
                label = resource_label(resource) if resource.kind == "application" else f"  └ {resource_label(resource)}"
                table.add_row(mark, Text(label, style="bold" if resource.kind == "application" else ""),
                              Text(resource.phase.value, style=PHASE_STYLES[resource.phase]), Text(resource.detail))
        self.live.update(Group(table, Text(f"{self.elapsed():.0f}s", style="dim")))


def progress_summary(observation: Observation, seconds: float) -> Text:
    phase = observation.phase
    name = Text(observation.application, style="bold")
    if phase == Phase.READY:
        return name + Text(f": converged in {seconds:.0f}s", style="green")
    if phase == Phase.FAILED:
        return name + Text(f": failed: {observation.resources[1].detail}", style="bold red")
    return name + Text(f": not converged after {seconds:.0f}s ({phase.value})", style="yellow")


# --- status --------------------------------------------------------------------------

def status_text(status: str | None) -> Text:
    return Text(status or "?", style=STATUS_STYLES.get(status or "", ""))


def applications_lines(applications: Iterable[Mapping[str, Any]]) -> list[str]:
    rows = [["NAME", "STATUS", "RUNNING", "IMAGE", "ENVIRONMENTS"]]
    for app in applications:
        rows.append([
            app.get("appName") or "?", app.get("status") or "?", counts(app).removesuffix(" running") or "-",
            (app.get("imageReference") or {}).get("identifier") or "-", ",".join(app.get("environmentNames") or []),
        ])
    return columns(rows)


def application_lines(app: Mapping[str, Any], environments: Sequence[Mapping[str, Any]]) -> list[Text | str]:
    head = Text(app.get("appName") or "?", style="bold") + Text("  ") + status_text(app.get("status"))
    image = (app.get("imageReference") or {}).get("identifier")
    head += Text(f"  {image or ''}  {counts(app)}  capacity {app.get('minCapacity')}–{app.get('maxCapacity')}")
    lines: list[Text | str] = [head, "environments:"]
    for environment in environments:
        lines += environment_lines(environment)
    if database := app.get("database"):
        lines.append(f"database: {database.get('rdsInstanceEngine')}  {database.get('rdsInstanceStatus')}  "
                     f"{database.get('rdsInstanceIdentifier') or ''}  {database.get('rdsInstanceEndpoint') or ''}".rstrip())
    if filesystem := app.get("filesystem"):
        lines.append(f"filesystem: {filesystem.get('filesystemId') or 'pending'} at {filesystem.get('mountPath')}")
    deployments = app.get("deploymentInformation") or []
    lines.append("deployments (newest first):" if deployments else "deployments: none yet")
    rows = [[d.get("deploymentStatus") or d.get("status") or "?", str(d.get("createdAt") or d.get("deployedAt") or ""),
             d.get("imageTag") or "", _arn_tail(d.get("taskDefinitionArn")), d.get("deploymentId") or ""]
            for d in deployments[:5]]
    lines += ["  " + row for row in columns(rows)]
    return lines


def environment_lines(environment: Mapping[str, Any]) -> list[Text | str]:
    head = Text(f"  {environment.get('envName')}  ") + status_text(environment.get("status"))
    rollout = environment.get("deploymentStatus")
    generation = environment.get("generation")
    head += Text(f"  {counts(environment)}" + (f"  rollout {rollout}" if rollout else ""))
    if generation is not None:
        head += Text(f"  generation {generation} (observed {environment.get('observedGeneration')})", style="dim")
    lines: list[Text | str] = [head]
    if reason := environment.get("deploymentFailureReason"):
        lines.append(Text(f"    rollout failed ({environment.get('deploymentFailureType')}): {reason}", style="red"))
    for condition in environment.get("conditions") or []:
        flag = "True" if condition.get("status") else "False"
        style = "red" if condition.get("type") == "Degraded" and condition.get("status") else ""
        said = f"{condition.get('reason') or ''}" + (f": {condition['message']}" if condition.get("message") else "")
        lines.append(Text(f"    {condition.get('type')}={flag}  {said}  since {condition.get('lastTransitionTime')}",
                          style=style))
    outputs = {**(environment.get("service") or {}), **(environment.get("taskDefinition") or {})}
    for key, value in outputs.items():
        lines.append(Text(f"    {key}: {value}", style="dim"))
    return lines


def _arn_tail(arn: str | None) -> str:
    return (arn or "").rsplit("/", 1)[-1]


# --- events and logs -----------------------------------------------------------------

def _first(event: Mapping[str, Any], *keys: str) -> Any:
    return next((event[k] for k in keys if event.get(k) not in (None, "")), None)


def event_line(event: Mapping[str, Any]) -> Text:
    """An event from `…/events`, whatever its exact shape: time, where, what, why, outcome."""
    when = _first(event, "time", "createdAt", "timestamp") or ""
    where = "/".join(str(p) for p in (_first(event, "application", "appName"),
                                      _first(event, "environment", "envName")) if p)
    warning = event.get("warning") is True or str(event.get("type", "")).lower() == "warning"
    line = Text(f"{when}  ", style="dim") + Text(where or "-")
    line += Text(f"  {_first(event, 'controller', 'kind') or ''}", style="cyan")
    line += Text(f"  {_first(event, 'reason') or ''}", style="bold red" if warning else "bold")
    if message := _first(event, "message"):
        line += Text(f"  {message}")
    extra = [str(_first(event, "outcome", "result") or "")]
    if (duration := _first(event, "durationMs", "duration_ms")) is not None:
        extra.append(f"{duration} ms")
    if any(extra):
        line += Text(f"  ({', '.join(e for e in extra if e)})", style="dim")
    return line


def log_line(event: Mapping[str, Any], timestamp: str) -> Text:
    return (Text(f"{timestamp} ", style="dim") + Text(f"{event.get('containerName') or '-'}  ", style="cyan")
            + Text(str(event.get("message", "")).rstrip("\n")))
