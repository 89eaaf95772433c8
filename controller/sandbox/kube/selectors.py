"""Label selectors (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`) and field
selectors (`metadata.name=x`, `status.phase!=Running`), as list calls take them."""

import re
from collections.abc import Callable
from typing import Any

from controller.sandbox.kube.errors import bad_request

Predicate = Callable[[dict], bool]
BAD_SELECTOR = "unable to parse requirement: {text!r}"
SET_REQUIREMENT = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def _requirement(text: str) -> Callable[[dict], bool]:
    if match := SET_REQUIREMENT.match(text):
        key, operator, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    text = text.strip()
    for operator in ("!=", "==", "="):
        if operator in text:
            key, value = (s.strip() for s in text.split(operator, 1))
            if not key:
                raise bad_request(BAD_SELECTOR.format(text=text))
            if operator == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if text.startswith("!"):
        key = text[1:].strip()
        return lambda labels: key not in labels
    if not text or " " in text:
        raise bad_request(BAD_SELECTOR.format(text=text))
    return lambda labels: text in labels


def label_selector(text: str | None) -> Predicate:
    requirements = [_requirement(part) for part in _split(text or "")]
    return lambda obj: all(r((obj.get("metadata") or {}).get("labels") or {}) for r in requirements)


def _field(obj: dict, path: str):
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return None if node is None else str(node)


def field_selector(text: str | None) -> Predicate:
    requirements = []
    for part in _split(text or ""):
        for operator in ("!=", "==", "="):
            if operator in part:
                path, value = (s.strip() for s in part.split(operator, 1))
                requirements.append((path, operator == "!=", value))
                break
        else:
            raise bad_request(BAD_SELECTOR.format(text=part))

    def matches(obj: dict) -> bool:
        return all((_field(obj, path) != value) if negate else (_field(obj, path) == value)
                   for path, negate, value in requirements)

    return matches


def matches_selector(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector object (matchLabels + matchExpressions), as a Deployment's spec has."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True
