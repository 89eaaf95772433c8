"""The three classic patch formats: JSON merge patch (RFC 7386), strategic merge patch
(its basics: associative lists merge by key, `$patch: delete` items) and JSON patch (RFC 6902)."""

import copy

from controller.sandbox.kube.errors import bad_request
from controller.sandbox.kube.fields import key_of, list_keys

BAD_PATCH = "the patch is invalid: {reason}"


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target, patch, name: str | None = None):
    if isinstance(patch, dict):
        result = dict(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if key.startswith("$"):
                continue  # directives ($retainKeys, $setElementOrder) are not modelled
            if value is None:
                result.pop(key, None)
            else:
                result[key] = strategic_merge_patch(result.get(key), value, key)
        return result
    if isinstance(patch, list) and isinstance(target, list) and (keys := list_keys(name, patch or target)):
        items = copy.deepcopy(target)
        for item in patch:
            if not isinstance(item, dict):
                raise bad_request(BAD_PATCH.format(reason=f"{name} items must be objects"))
            wanted = key_of(item, keys)
            index = next((i for i, t in enumerate(items) if isinstance(t, dict) and key_of(t, keys) == wanted), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    del items[index]
            elif index is None:
                items.append(strategic_merge_patch({}, item))
            else:
                items[index] = strategic_merge_patch(items[index], item)
        return items
    return copy.deepcopy(patch)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(BAD_PATCH.format(reason=f"bad path {path!r}"))
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, parts: list[str]):
    node = doc
    for part in parts[:-1]:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError) as error:
            raise bad_request(BAD_PATCH.format(reason=f"missing path element {part!r}")) from error
    return node


def json_patch(doc, operations: list):
    doc = copy.deepcopy(doc)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(BAD_PATCH.format(reason="each operation needs op and path"))
        parts = _pointer(op["path"])
        if not parts:
            raise bad_request(BAD_PATCH.format(reason="the whole document cannot be patched"))
        parent, last = _parent(doc, parts), parts[-1]
        kind = op["op"]
        try:
            if kind == "add":
                if isinstance(parent, list):
                    parent.insert(len(parent) if last == "-" else int(last), copy.deepcopy(op["value"]))
                else:
                    parent[last] = copy.deepcopy(op["value"])
            elif kind == "replace":
                index = int(last) if isinstance(parent, list) else last
                parent[index]  # noqa: B018 — replace needs the target to exist
                parent[index] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            elif kind == "test":
                if parent[int(last) if isinstance(parent, list) else last] != op["value"]:
                    raise bad_request(BAD_PATCH.format(reason=f"test failed at {op['path']}"))
            else:
                raise bad_request(BAD_PATCH.format(reason=f"unsupported op {kind!r}"))
        except (KeyError, IndexError, ValueError) as error:
            raise bad_request(BAD_PATCH.format(reason=f"path {op['path']} not found")) from error
    return doc
