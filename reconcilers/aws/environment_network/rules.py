"""An environment's ingress rules, from its compose.

Pure. A port any unprotected container exposes is open to everyone; a port only
origin-protected containers expose admits their `ipAllow` entries (normalised:
a bare address is a /32 or /128, host bits are cleared) and the configured edge.
Entries that are not addresses are reported, not applied. Comparing flat rules
lets a plan revoke exactly what is extra and authorize exactly what is missing
(`security_group_rules`, the one rule model every kind uses).
"""

import ipaddress
from collections.abc import Iterable, Sequence

from reconcilers.aws.security_group_rules import CIDR, CIDR6, Rule, tcp
from schemas.v3.compose import Container

ANYWHERE = "0.0.0.0/0"
INVALID_CIDR = "container {container}: ipAllow entry {value!r} is not an IP address or CIDR block"

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
    return (CIDR if network.version == 4 else CIDR6, str(network))


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
    rules = {tcp(port, CIDR, ANYWHERE) for port in public}
    for port, sources in restricted.items():
        if port not in public:
            rules.update(tcp(port, kind, source) for kind, source in sources)
    return frozenset(rules), tuple(invalid)
