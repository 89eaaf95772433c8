"""Hypothesis strategies: valid environment specs, built to satisfy the schema by construction."""

from typing import Any

from hypothesis import strategies as st

from tests.reconcilers.aws.factories import environment

NAMES = ("web", "worker", "sidecar")
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
variable_names = st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,6}\Z")
variables = st.lists(
    st.fixed_dictionaries({"name": variable_names, "value": st.text(max_size=8)}),
    max_size=4,
    unique_by=lambda v: v["name"],
)
argv = st.lists(words, min_size=1, max_size=3)
paths = words.map(lambda w: f"/{w}")


@st.composite
def containers(draw: st.DrawFn, name: str, others: tuple[str, ...]) -> dict[str, Any]:
    memory = draw(st.none() | st.integers(64, 512))
    reservation = draw(st.none() | st.integers(4, memory or 512))
    container: dict[str, Any] = {
        "name": name,
        "imageReference": {
            "type": draw(st.sampled_from(["external", "internal"])),
            "identifier": draw(words.map(lambda w: f"repo/{w}:1")),
        },
        "cpu": draw(st.none() | st.integers(0, 80)),
        "memory": memory,
        "memoryReservation": reservation,
        "exposedPorts": draw(st.none() | st.lists(st.integers(1, 65535), max_size=3)),
        "environment": draw(st.none() | variables),
        "secrets": draw(
            st.none()
            | st.lists(
                st.fixed_dictionaries(
                    {"name": variable_names, "valueFrom": words.map(lambda w: f"arn:secret:{w}")}
                ),
                max_size=2,
                unique_by=lambda s: s["name"],
            )
        ),
        "healthCheck": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "command": st.sampled_from([["CMD-SHELL", "curl -f localhost"], ["true"]]),
                    "interval": st.integers(5, 300),
                    "startPeriod": st.none() | st.integers(1, 300),
                }
            )
        ),
        "dependsOn": draw(
            st.none()
            | st.lists(
                st.fixed_dictionaries(
                    {
                        "containerName": st.sampled_from(others),
                        "condition": st.sampled_from(["START", "HEALTHY"]),
                    }
                ),
                max_size=len(others),
                unique_by=lambda d: d["containerName"],
            )
            if others
            else st.none()
        ),
        "command": draw(st.none() | argv),
        "entryPoint": draw(st.none() | argv),
        "workingDirectory": draw(st.none() | paths),
        "user": draw(st.none() | words),
        "readonlyRootFilesystem": draw(st.booleans()),
        "mountPoints": draw(
            st.none()
            | st.lists(
                st.fixed_dictionaries(
                    {
                        "sourceVolume": st.sampled_from(["data", "cache"]),
                        "containerPath": paths,
                        "readOnly": st.booleans(),
                    }
                ),
                max_size=2,
                unique_by=lambda m: m["containerPath"],
            )
        ),
    }
    return {key: value for key, value in container.items() if value is not None}


@st.composite
def environments(draw: st.DrawFn, generation: int = 1):
    count = draw(st.integers(1, len(NAMES)))
    names = NAMES[:count]
    # Dependencies only point down the list, so they never form a cycle.
    built = [draw(containers(name, names[i + 1 :])) for i, name in enumerate(names)]
    for container in built[1:]:
        container["essential"] = draw(st.booleans())
    return environment(
        built,
        generation=generation,
        min_capacity=draw(st.integers(0, 5)),
        variables=draw(variables),
        compose={"architecture": draw(st.sampled_from(["X86_64", "ARM64"]))},
    )
