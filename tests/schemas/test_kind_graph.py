"""The declared dependency graph: every need names fields its kind publishes, no kind
needs itself or waits in a cycle, and the watches derived from it are what each
dependent reads."""

import pytest

from schemas.kind_graph import NEEDS, graph_lines, need, watchers
from schemas.kinds import Kind
from schemas.outputs import OUTPUTS


@pytest.mark.parametrize("dependent", list(NEEDS), ids=str)
def test_every_need_names_outputs_its_kind_publishes(dependent):
    for n in NEEDS[dependent]:
        assert n.kind is not dependent
        assert set(n.outputs) <= set(OUTPUTS[n.kind].model_fields), (dependent, n)


def test_no_kind_waits_on_itself_through_others():
    def reachable(kind, seen=()):
        for n in NEEDS.get(kind, ()):
            assert n.kind not in seen, f"cycle through {seen}"
            reachable(n.kind, (*seen, kind))

    for kind in Kind:
        reachable(kind)


def test_watches_are_the_needed_outputs_and_ready_where_the_kind_judges_it():
    derived = watchers()
    assert derived[Kind.ECS_ENVIRONMENT] == {Kind.ECS_AUTOSCALING: ("serviceName", "clusterArn", "serviceArn")}
    assert derived[Kind.ENVIRONMENT_NETWORK][Kind.RDS_DATABASE] == ("ready", "peerSecurityGroupIds")
    assert set(derived[Kind.AWS_NETWORK]) == {
        Kind.ECS_ENVIRONMENT, Kind.ENVIRONMENT_NETWORK, Kind.RDS_DATABASE, Kind.EFS_FILESYSTEM
    }
    assert need(Kind.RDS_DATABASE, Kind.AWS_NETWORK).shared


def test_the_printed_graph_names_every_kind_and_edge():
    printed = "\n".join(graph_lines())
    for kind in Kind:
        assert kind.value in printed
    assert "needs aws-network (shared): vpcId, securityGroupIds" in printed
