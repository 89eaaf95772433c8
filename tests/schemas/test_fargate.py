"""Fargate task sizes: every size AWS runs is accepted, and nothing else."""

import pytest
from pydantic import ValidationError

from schemas.fargate import TASK_MEMORY_BY_CPU, check_task_size
from schemas.v3.compose import Compose
from tests.schemas import bodies

GIB = 1024

# AWS's table of Fargate task sizes (Linux), written out independently of schemas/fargate.py.
AWS_TABLE = {
    256: [GIB // 2, 1 * GIB, 2 * GIB],
    512: [g * GIB for g in range(1, 5)],
    1024: [g * GIB for g in range(2, 9)],
    2048: [g * GIB for g in range(4, 17)],
    4096: [g * GIB for g in range(8, 31)],
    8192: [g * GIB for g in range(16, 61, 4)],
    16384: [g * GIB for g in range(32, 121, 8)],
}

VALID = [(cpu, memory) for cpu, memories in TASK_MEMORY_BY_CPU.items() for memory in memories]


def test_the_table_is_awss():
    assert {cpu: list(memories) for cpu, memories in TASK_MEMORY_BY_CPU.items()} == AWS_TABLE


@pytest.mark.parametrize(("cpu", "memory"), VALID, ids=[f"{c}-cpu-{m}-MiB" for c, m in VALID])
def test_every_valid_size_is_accepted(cpu, memory):
    check_task_size(cpu, memory)
    compose = Compose.model_validate(bodies.compose(taskCpu=cpu, taskMemory=memory))
    assert (compose.task_cpu, compose.task_memory) == (cpu, memory)


INVALID = [
    ("cpu-128-not-a-size", 128, 512, "taskCpu 128 is not a Fargate size; choose one of [256, 512, 1024, 2048, 4096, 8192, 16384]"),
    ("cpu-3-contract-example", 3, 2, "taskCpu 3 is not a Fargate size"),
    ("cpu-0", 0, 512, "taskCpu 0 is not a Fargate size"),
    ("cpu-32768-above-the-largest", 32768, 65536, "taskCpu 32768 is not a Fargate size"),
    ("256-with-256-MiB-too-little", 256, 256, "taskMemory 256 MiB does not fit taskCpu 256; Fargate allows 512, 1024, 2048"),
    ("256-with-1536-MiB-not-listed", 256, 1536, "Fargate allows 512, 1024, 2048"),
    ("256-with-4096-MiB-too-much", 256, 4096, "taskMemory 4096 MiB does not fit taskCpu 256"),
    ("512-with-512-MiB-below-1-GiB", 512, 512, "taskMemory 512 MiB does not fit taskCpu 512; Fargate allows 1024–4096 in steps of 1024"),
    ("512-with-5-GiB-above-4-GiB", 512, 5 * GIB, "does not fit taskCpu 512"),
    ("1024-with-1536-not-a-whole-GiB", 1024, 1536, "Fargate allows 2048–8192 in steps of 1024"),
    ("2048-with-3-GiB-below-4-GiB", 2048, 3 * GIB, "Fargate allows 4096–16384 in steps of 1024"),
    ("4096-with-31-GiB-above-30-GiB", 4096, 31 * GIB, "Fargate allows 8192–30720 in steps of 1024"),
    ("8192-with-18-GiB-not-a-4-GiB-step", 8192, 18 * GIB, "Fargate allows 16384–61440 in steps of 4096"),
    ("16384-with-36-GiB-not-an-8-GiB-step", 16384, 36 * GIB, "Fargate allows 32768–122880 in steps of 8192"),
    ("16384-with-128-GiB-above-120-GiB", 16384, 128 * GIB, "does not fit taskCpu 16384"),
]


@pytest.mark.parametrize(("cpu", "memory", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_sizes_are_rejected_with_what_fargate_allows(cpu, memory, message):
    with pytest.raises(ValueError) as raised:
        check_task_size(cpu, memory)
    assert message in str(raised.value)
    with pytest.raises(ValidationError) as caught:
        Compose.model_validate(bodies.compose(taskCpu=cpu, taskMemory=memory))
    [error] = caught.value.errors()
    assert error["loc"] == () and message in error["msg"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"taskCpu": 512}, "taskMemory 512 MiB does not fit taskCpu 512"), ({"taskMemory": 4096}, "taskMemory 4096 MiB does not fit taskCpu 256")],
    ids=["cpu-given-memory-default-512-does-not-fit", "memory-given-cpu-default-256-does-not-fit"],
)
def test_the_defaults_256_and_512_are_checked_like_given_values(fields, message):
    with pytest.raises(ValidationError, match=message):
        Compose.model_validate(bodies.compose(**fields))
