"""Field paths as server-side apply sees them: `("f:spec", "f:template", …,
'k:{"name":"web"}', "f:image")`, the FieldsV1 trees managedFields stores, and lists that
merge by key (associative lists) rather than being replaced whole."""

import copy
import json
from collections.abc import Iterator

Path = tuple[str, ...]
ITEM = "."  # the element that stands for an associative list's item itself

# Lists Kubernetes merges by key (x-kubernetes-list-map-keys); every other list is atomic.
LIST_KEYS = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "volumes": ("name",),
    "env": ("name",),
    "imagePullSecrets": ("name",),
    "volumeMounts": ("mountPath",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
KEY_DEFAULTS = {"protocol": "TCP"}
# Fields of the object the server owns: never in a manager's set.
SERVER_FIELDS = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
    "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink",
})


def list_keys(name: str | None, items: list) -> tuple[str, ...] | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if name == "ports":
        # Container ports merge by containerPort, a Service's by port; both with protocol.
        return ("containerPort", "protocol") if "containerPort" in items[0] else ("port", "protocol")
    return LIST_KEYS.get(name or "")


def key_of(item: dict, keys: tuple[str, ...]) -> dict:
    return {k: item.get(k, KEY_DEFAULTS.get(k)) for k in keys}


def key_element(item: dict, keys: tuple[str, ...]) -> str:
    return "k:" + json.dumps(key_of(item, keys), separators=(",", ":"), sort_keys=True)


def paths_of(value, path: Path = (), name: str | None = None) -> Iterator[Path]:
    """Every leaf path in `value`; an associative list's item also yields `path + (ITEM,)`."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from paths_of(child, path + (f"f:{key}",), key)
    elif isinstance(value, list) and (keys := list_keys(name, value)):
        for item in value:
            item_path = path + (key_element(item, keys),)
            yield item_path + (ITEM,)
            for key, child in item.items():
                yield from paths_of(child, item_path + (f"f:{key}",), key)
    elif path:
        yield path


def object_paths(obj: dict, *, include_status: bool) -> set[Path]:
    """The paths a manager can own in `obj`: not apiVersion/kind or server-owned metadata."""
    paths = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or (key == "status" and not include_status):
            continue
        if key == "metadata":
            for meta_key, meta_value in (value or {}).items():
                if meta_key not in SERVER_FIELDS:
                    paths |= set(paths_of(meta_value, ("f:metadata", f"f:{meta_key}"), meta_key))
            continue
        paths |= set(paths_of(value, (f"f:{key}",), key))
    return paths


def _find_item(items: list, element: str) -> int | None:
    wanted = json.loads(element[2:])
    for index, item in enumerate(items):
        if isinstance(item, dict) and key_of(item, tuple(wanted)) == wanted:
            return index
    return None


def value_at(obj, path: Path) -> tuple[bool, object]:
    node = obj
    for element in path:
        if element == ITEM:
            return True, node
        if element.startswith("f:") and isinstance(node, dict) and element[2:] in node:
            node = node[element[2:]]
        elif element.startswith("k:") and isinstance(node, list):
            index = _find_item(node, element)
            if index is None:
                return False, None
            node = node[index]
        else:
            return False, None
    return True, node


def remove_path(obj: dict, path: Path) -> None:
    """Remove the field (or list item) at `path`, then maps and lists it left empty."""
    trail = []
    node = obj
    for depth, element in enumerate(path[:-1]):
        if element.startswith("f:") and isinstance(node, dict) and element[2:] in node:
            trail.append((node, element[2:]))
            node = node[element[2:]]
        elif element.startswith("k:") and isinstance(node, list) and (i := _find_item(node, element)) is not None:
            if depth == len(path) - 2 and path[-1] == ITEM:
                del node[i]
                break
            trail.append((node, i))
            node = node[i]
        else:
            return
    else:
        last = path[-1]
        if last.startswith("f:") and isinstance(node, dict):
            node.pop(last[2:], None)
    for parent, key in reversed(trail):
        child = parent[key]
        if isinstance(child, (dict, list)) and not child and isinstance(key, str):
            del parent[key]
        else:
            break


def render(path: Path) -> str:
    """`.spec.template.spec.containers[name="web"].image`, as apply conflicts name fields."""
    text = ""
    for element in path:
        if element.startswith("f:"):
            text += "." + element[2:]
        elif element.startswith("k:"):
            keys = json.loads(element[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]"
    return text


def to_fields_v1(paths: set[Path]) -> dict:
    tree: dict = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    return tree


def from_fields_v1(tree: dict, path: Path = ()) -> set[Path]:
    paths = set()
    for element, child in tree.items():
        here = path + (element,)
        if element == ITEM or not child:
            paths.add(here)
        else:
            paths |= from_fields_v1(child, here)
    return paths


def merge_keyed(live, config, name: str | None = None):
    """Apply's merge: maps recursively, associative lists by key, everything else replaced."""
    if isinstance(config, dict) and isinstance(live, dict):
        merged = dict(live)
        for key, value in config.items():
            merged[key] = merge_keyed(live[key], value, key) if key in live else copy.deepcopy(value)
        return merged
    if isinstance(config, list) and isinstance(live, list) and (keys := list_keys(name, config)):
        items = copy.deepcopy(live)
        for item in config:
            index = _find_item(items, key_element(item, keys))
            if index is None:
                items.append(copy.deepcopy(item))
            else:
                items[index] = merge_keyed(items[index], item)
        return items
    return copy.deepcopy(config)


def drop_nulls(value):
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value
