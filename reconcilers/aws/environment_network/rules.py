"""Ingress rules, flat: one (protocol, ports, source) a rule, from the compose and from EC2.

Pure. A port any unprotected container exposes is open to everyone; a port only
origin-protected containers expose admits their `ipAllow` entries (normalised:
a bare address is a /32 or /128, host bits are cleared) and the configured edge.
Entries that are not addresses are reported, not applied. Comparing flat rules
lets a plan revoke exactly what is extra and authorize exactly what is missing.
"""

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.v3.compose import Container

ANYWHERE = "0.0.0.0/0"
INVALID_CIDR = "container {container}: ipAllow entry {value!r} is not an IP address or CIDR block"

# Rule sources: ("cidr", "1.2.3.0/24"), ("cidr6", "2001:db8::/32"), ("group", "self") or ("group", "sg-…").
SELF = "self"


@dataclass(frozen=True, slots=True, order=True)
class Rule:
    """One ingress permission with one source. `protocol` "-1" (all) has no ports."""

    protocol: str
    from_port: int | None
    to_port: int | None
    source_kind: str  # cidr, cidr6, group, prefix
    source: str


def tcp(port: int, kind: str, source: str) -> Rule:
    return Rule("tcp", port, port, kind, source)


SELF_RULE = Rule("-1", None, None, "group", SELF)


def protected(container: Container) -> bool:
    config = container.origin_protection_config
    return bool(container.origin_protection) or bool(config and config.enabled)


def cidr_source(value: str) -> tuple[str, str] | None:
    """("cidr", "10.0.0.0/8") or ("cidr6", …) in AWS's normal form (a bare address is a
    /32 or /128; host bits are cleared), or None when it is neither address nor block."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    return ("cidr" if network.version == 4 else "cidr6", str(network))


def ingress_rules(
    containers: Sequence[Container], edge_cidrs: Iterable[str] = ()
) -> tuple[frozenset[Rule], tuple[str, ...]]:
    """The ingress group's rules and what was wrong with the allow lists.

    A port any unprotected container exposes is open to everyone; a port only
    protected containers expose admits their `ipAllow` entries and the edge."""
    public: set[int] = set()
    restricted: dict[int, set[tuple[str, str]]] = {}
    invalid: list[str] = []
    edge = [s for s in (cidr_source(c) for c in edge_cidrs) if s]
    for container in containers:
        ports = container.exposed_ports or []
        if not protected(container):
            public.update(ports)
            continue
        sources = set(edge)
        config = container.origin_protection_config
        for value in (config.ip_allow if config else None) or ():
            source = cidr_source(value)
            if source is None:
                invalid.append(INVALID_CIDR.format(container=container.name, value=value))
            else:
                sources.add(source)
        for port in ports:
            restricted.setdefault(port, set()).update(sources)
    rules = {tcp(port, "cidr", ANYWHERE) for port in public}
    for port, sources in restricted.items():
        if port not in public:
            rules.update(tcp(port, kind, source) for kind, source in sources)
    return frozenset(rules), tuple(invalid)


def rules_of(permissions: Iterable[Mapping[str, Any]], group_id: str) -> frozenset[Rule]:
    """EC2's `IpPermissions`, flattened to one source a rule; the group itself is `self`."""
    rules = set()
    for p in permissions:
        protocol = str(p.get("IpProtocol", "-1"))
        ports = (None, None) if protocol == "-1" else (p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges") or ():
            rules.add(Rule(protocol, *ports, "cidr", r["CidrIp"]))
        for r in p.get("Ipv6Ranges") or ():
            rules.add(Rule(protocol, *ports, "cidr6", r["CidrIpv6"]))
        for r in p.get("PrefixListIds") or ():
            rules.add(Rule(protocol, *ports, "prefix", r["PrefixListId"]))
        for r in p.get("UserIdGroupPairs") or ():
            source = SELF if r.get("GroupId") == group_id else r.get("GroupId", "")
            rules.add(Rule(protocol, *ports, "group", source))
    return frozenset(rules)


def permissions_of(rules: Iterable[Rule], group_id: str) -> list[dict[str, Any]]:
    """The inverse of `rules_of`, one permission a rule, for Authorize/Revoke."""
    result = []
    for rule in sorted(rules):
        permission: dict[str, Any] = {"IpProtocol": rule.protocol}
        if rule.protocol != "-1":
            permission["FromPort"], permission["ToPort"] = rule.from_port, rule.to_port
        if rule.source_kind == "cidr":
            permission["IpRanges"] = [{"CidrIp": rule.source}]
        elif rule.source_kind == "cidr6":
            permission["Ipv6Ranges"] = [{"CidrIpv6": rule.source}]
        elif rule.source_kind == "prefix":
            permission["PrefixListIds"] = [{"PrefixListId": rule.source}]
        else:
            source = group_id if rule.source == SELF else rule.source
            permission["UserIdGroupPairs"] = [{"GroupId": source}]
        result.append(permission)
    return result
