"""What to do to make the cluster hold the rendered objects. Pure.

An object is up to date when it carries the hash of the manifest being applied
(`berth.dev/applied`) and still holds every field of that manifest (`contains`): a
changed manifest (a new release, a scale, a removed variable) changes the hash, and
drift (replicas changed out of band, a label removed) breaks containment. Both are
put back by applying the whole manifest again; server-side apply then also drops
what berth set before and no longer sets.

Ownership: berth touches an object only when it is this application's — labelled with
its id, or applied by field manager `berth` and not labelled for another application
(a label removed out of band is drift, not a change of owner). A same-named object
that is not ours is refused, never applied over. Objects of this application that are
no longer rendered (a process scaled out of `process_counts`, a budget whose process
went down to one replica) are deleted.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconcilers.kube.naming import APPLICATION_ID_KEY, APPLIED_KEY, MANAGED_BY, MANAGED_BY_KEY

Manifest = Mapping[str, Any]


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, manifest: Manifest) -> "ObjectRef":
        metadata = manifest["metadata"]
        return cls(manifest["kind"], metadata.get("namespace"), metadata["name"])

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True, slots=True)
class Apply:
    manifest: Manifest
    why: str  # "create", "update" (the manifest changed) or "drift" (changed out of band)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef.of(self.manifest)


@dataclass(frozen=True, slots=True)
class Delete:
    ref: ObjectRef


@dataclass(frozen=True, slots=True)
class Refuse:
    """A same-named object berth did not make for this application."""

    ref: ObjectRef
    owner: str


Action = Apply | Delete | Refuse


def contains(observed: Any, desired: Any) -> bool:
    """Whether `observed` holds everything `desired` says: mappings by key (extra keys,
    such as server defaults, allowed), lists element by element, scalars equal."""
    if isinstance(desired, Mapping):
        return isinstance(observed, Mapping) and all(
            key in observed and contains(observed[key], value) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(observed, list)
            and len(observed) == len(desired)
            and all(contains(o, d) for o, d in zip(observed, desired, strict=True))
        )
    return observed == desired


def _body(manifest: Manifest) -> dict[str, Any]:
    """The manifest without apiVersion and kind, which list answers leave out of items."""
    return {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}


def _labels(manifest: Manifest) -> Mapping[str, str]:
    return manifest.get("metadata", {}).get("labels") or {}


def applied_by_berth(manifest: Manifest) -> bool:
    return any(
        entry.get("manager") == MANAGED_BY for entry in manifest.get("metadata", {}).get("managedFields") or ()
    )


def owner_of(observed: Manifest, application_id: str) -> str | None:
    """None when the object is this application's; else who it belongs to, for the message."""
    labels = _labels(observed)
    if observed.get("kind") == "Namespace":
        # Shared by the project's applications: berth's when berth labelled or applied it.
        if labels.get(MANAGED_BY_KEY) == MANAGED_BY or applied_by_berth(observed):
            return None
        return "not berth (no app.kubernetes.io/managed-by=berth label)"
    labelled = labels.get(APPLICATION_ID_KEY)
    if labelled == application_id:
        return None
    if labelled:
        return f"berth application {labelled}"
    if applied_by_berth(observed):
        return None
    return f"not berth (no {APPLICATION_ID_KEY} label)"


def plan_objects(
    desired: Sequence[Manifest], observed: Mapping[ObjectRef, Manifest], owned: Iterable[ObjectRef], application_id: str
) -> list[Action]:
    """`observed`: the live object of each desired ref that exists, plus the objects
    listed by this application's labels; `owned`: the refs of those listed objects (the
    candidates for deletion)."""
    actions: list[Action] = []
    wanted = set()
    for manifest in desired:
        ref = ObjectRef.of(manifest)
        wanted.add(ref)
        live = observed.get(ref)
        if live is None:
            actions.append(Apply(manifest, "create"))
            continue
        owner = owner_of(live, application_id)
        if owner is not None:
            actions.append(Refuse(ref, owner))
            continue
        applied = (live.get("metadata", {}).get("annotations") or {}).get(APPLIED_KEY)
        if applied != manifest["metadata"]["annotations"][APPLIED_KEY]:
            actions.append(Apply(manifest, "update"))
        elif not contains(live, _body(manifest)):
            actions.append(Apply(manifest, "drift"))
    for ref in sorted(set(owned) - wanted):
        live = observed.get(ref)
        if live is not None and owner_of(live, application_id) is None:
            actions.append(Delete(ref))
    return actions
