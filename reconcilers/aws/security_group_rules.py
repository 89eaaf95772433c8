"""One security-group ingress rule model, its diff, and its EC2 form: every kind that
keeps a group's rules (environment-network, rds-database, efs-filesystem) uses these.

Pure. A rule is flat: one protocol, one port range, one source (a CIDR block, an IPv6
block, a prefix list or a group; `self` is the group itself). Comparing flat rules lets
a plan revoke exactly what is extra and authorize exactly what is missing. The
description is carried to EC2 but never compared: a rule is the access it grants.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALL_TRAFFIC = "-1"
SELF = "self"

# Source kinds.
CIDR, CIDR6, GROUP, PREFIX = "cidr", "cidr6", "group", "prefix"


@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress permission with one source. `protocol` "-1" (all) has no ports."""

    protocol: str
    from_port: int | None
    to_port: int | None
    source_kind: str  # cidr, cidr6, group, prefix
    source: str
    description: str = field(default="", compare=False)

    def order(self) -> tuple[str, int, int, str, str]:
        """How rules sort (no port sorts first)."""
        low, high = -1 if self.from_port is None else self.from_port, -1 if self.to_port is None else self.to_port
        return (self.protocol, low, high, self.source_kind, self.source)


def sorted_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(sorted(rules, key=Rule.order))


def tcp(port: int, kind: str, source: str) -> Rule:
    return Rule("tcp", port, port, kind, source)


def source_kind_of(source: str) -> str:
    """The kind of a bare source: `sg-…` a group, `pl-…` a prefix list, else a block."""
    if source.startswith("sg-") or source == SELF:
        return GROUP
    if source.startswith("pl-"):
        return PREFIX
    return CIDR6 if ":" in source else CIDR


def rule_from(protocol: str, from_port: int | None, to_port: int | None, source: str) -> Rule:
    """A rule from a group id or a block, its kind read off the source."""
    return Rule(protocol, from_port, to_port, source_kind_of(source), source)


SELF_RULE = Rule(ALL_TRAFFIC, None, None, GROUP, SELF)


@dataclass(frozen=True, slots=True)
class RuleDiff:
    authorize: tuple[Rule, ...] = ()  # wanted, not there
    revoke: tuple[Rule, ...] = ()  # there, not wanted


def diff_rules(wanted: Iterable[Rule], actual: Iterable[Rule]) -> RuleDiff:
    wanted, actual = frozenset(wanted), frozenset(actual)
    return RuleDiff(sorted_rules(wanted - actual), sorted_rules(actual - wanted))


def _port(value: Any) -> int | None:
    return None if value is None or int(value) == -1 else int(value)


def _sources(p: Mapping[str, Any], group_id: str | None) -> Iterable[tuple[str, str, str]]:
    for r in p.get("IpRanges") or ():
        yield CIDR, r["CidrIp"], r.get("Description", "")
    for r in p.get("Ipv6Ranges") or ():
        yield CIDR6, r["CidrIpv6"], r.get("Description", "")
    for r in p.get("PrefixListIds") or ():
        yield PREFIX, r["PrefixListId"], r.get("Description", "")
    for r in p.get("UserIdGroupPairs") or ():
        source = SELF if group_id is not None and r.get("GroupId") == group_id else r.get("GroupId", "")
        yield GROUP, source, r.get("Description", "")


def rules_of(permissions: Iterable[Mapping[str, Any]], group_id: str | None = None) -> frozenset[Rule]:
    """EC2's `IpPermissions`, one rule a source; with `group_id`, the group itself is `self`."""
    rules = set()
    for p in permissions:
        protocol = str(p.get("IpProtocol", ALL_TRAFFIC))
        ports = (None, None) if protocol == ALL_TRAFFIC else (_port(p.get("FromPort")), _port(p.get("ToPort")))
        rules.update(Rule(protocol, *ports, kind, source, text) for kind, source, text in _sources(p, group_id))
    return frozenset(rules)


def _source_entry(rule: Rule, group_id: str | None) -> tuple[str, dict[str, str]]:
    if rule.source_kind == CIDR:
        return "IpRanges", {"CidrIp": rule.source}
    if rule.source_kind == CIDR6:
        return "Ipv6Ranges", {"CidrIpv6": rule.source}
    if rule.source_kind == PREFIX:
        return "PrefixListIds", {"PrefixListId": rule.source}
    return "UserIdGroupPairs", {"GroupId": group_id if rule.source == SELF and group_id else rule.source}


def ip_permission(rule: Rule, group_id: str | None = None) -> dict[str, Any]:
    """One rule as the IpPermission Authorize/Revoke take (`self` is `group_id`)."""
    permission: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.protocol != ALL_TRAFFIC and rule.from_port is not None:
        permission["FromPort"] = rule.from_port
    if rule.protocol != ALL_TRAFFIC and rule.to_port is not None:
        permission["ToPort"] = rule.to_port
    key, entry = _source_entry(rule, group_id)
    if rule.description:
        entry["Description"] = rule.description
    permission[key] = [entry]
    return permission


def permissions_of(rules: Iterable[Rule], group_id: str | None = None) -> list[dict[str, Any]]:
    """The inverse of `rules_of`, one permission a rule, in order."""
    return [ip_permission(rule, group_id) for rule in sorted_rules(rules)]
