"""Batched DescribeServices."""

import asyncio

from reconcilers.aws.describe import ServiceDescriber


class FakeEcs:
    def __init__(self, services: set[str]):
        self.services = services
        self.requests: list[tuple[str, list[str]]] = []

    async def describe_services(self, *, cluster: str, services: list[str], include=()):
        self.requests.append((cluster, services))
        await asyncio.sleep(0)
        found = [{"serviceName": s, "status": "ACTIVE"} for s in services if s in self.services]
        missing = [{"arn": s, "reason": "MISSING"} for s in services if s not in self.services]
        return {"services": found, "failures": missing}


async def test_concurrent_passes_share_calls_ten_names_each():
    ecs = FakeEcs({f"s{i}" for i in range(12)})
    describer = ServiceDescriber(ecs, window=0.001)
    names = [f"s{i}" for i in range(13)]
    answers = await asyncio.gather(
        *(describer.describe("berth", n) for n in names), describer.describe("other", "s0")
    )
    assert [a["serviceName"] if a else None for a in answers[:13]] == [*names[:12], None]
    assert answers[13] is not None
    assert sorted(len(names) for cluster, names in ecs.requests if cluster == "berth") == [3, 10]
    assert len([r for r in ecs.requests if r[0] == "other"]) == 1


async def test_an_error_reaches_every_waiter():
    class Broken(FakeEcs):
        async def describe_services(self, **kwargs):
            raise RuntimeError("down")

    describer = ServiceDescriber(Broken(set()), window=0)
    results = await asyncio.gather(
        describer.describe("c", "a"), describer.describe("c", "b"), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    # and the describer still works afterwards
    describer._ecs = FakeEcs({"a"})
    assert (await describer.describe("c", "a"))["serviceName"] == "a"
