"""Fargate's valid task sizes: the CPU units and the memory (MiB) each admits."""

DEFAULT_TASK_CPU = 256
DEFAULT_TASK_MEMORY = 512

INVALID_TASK_CPU = "taskCpu {cpu} is not a Fargate size; choose one of {choices}"
INVALID_TASK_MEMORY = "taskMemory {memory} MiB does not fit taskCpu {cpu}; Fargate allows {allowed}"


def _steps(low_gib: int, high_gib: int, step_gib: int) -> tuple[int, ...]:
    return tuple(range(low_gib * 1024, high_gib * 1024 + 1, step_gib * 1024))


TASK_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1, 4, 1),
    1024: _steps(2, 8, 1),
    2048: _steps(4, 16, 1),
    4096: _steps(8, 30, 1),
    8192: _steps(16, 60, 4),
    16384: _steps(32, 120, 8),
}


def _describe(memories: tuple[int, ...]) -> str:
    if len(memories) <= 3:
        return ", ".join(str(m) for m in memories)
    step = memories[1] - memories[0]
    return f"{memories[0]}–{memories[-1]} in steps of {step}"


def check_task_size(cpu: int, memory: int) -> None:
    """Raise ValueError unless (cpu, memory) is a size Fargate runs."""
    allowed = TASK_MEMORY_BY_CPU.get(cpu)
    if allowed is None:
        raise ValueError(INVALID_TASK_CPU.format(cpu=cpu, choices=sorted(TASK_MEMORY_BY_CPU)))
    if memory not in allowed:
        raise ValueError(INVALID_TASK_MEMORY.format(memory=memory, cpu=cpu, allowed=_describe(allowed)))
