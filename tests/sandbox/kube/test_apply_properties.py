"""Properties of the fake's server-side apply (pure): what a lone manager applies is what the
object holds; a manager's removals never touch what another manager owns; re-applying is a no-op."""

from hypothesis import given
from hypothesis import strategies as st

from controller.sandbox.kube.apply import apply

keys = st.sampled_from(["a", "b", "c", "d", "e"])
values = st.sampled_from(["1", "2", "x"])
label_maps = st.dictionaries(keys, values, max_size=5)
images = st.lists(st.tuples(st.sampled_from(["web", "log", "proxy"]), values), max_size=3, unique_by=lambda t: t[0])


def _config(labels: dict, containers=()) -> dict:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": labels}}
    if containers:
        config["spec"] = {"containers": [{"name": n, "image": i} for n, i in containers]}
    return config


@given(st.lists(label_maps, min_size=1, max_size=5))
def test_a_lone_manager_gets_exactly_what_it_applied_last(sequence):
    live = None
    for labels in sequence:
        live = apply(live, _config(labels), manager="m", force=False, now="t")
    assert (live["metadata"].get("labels") or {}) == sequence[-1]


@given(label_maps, label_maps, label_maps)
def test_removals_never_touch_what_another_manager_owns(first, theirs, second):
    theirs = {f"other-{k}": v for k, v in theirs.items()}
    live = apply(None, _config(first), manager="m", force=False, now="t")
    live = apply(live, _config(theirs), manager="o", force=False, now="t")
    live = apply(live, _config(second), manager="m", force=False, now="t")
    assert live["metadata"].get("labels", {}) == {**theirs, **second}


@given(images, images)
def test_associative_list_items_follow_the_last_apply_and_reapplying_changes_nothing(before, after):
    live = apply(None, _config({}, before), manager="m", force=False, now="t")
    live = apply(live, _config({}, after), manager="m", force=False, now="t")
    containers = (live.get("spec") or {}).get("containers") or []
    assert sorted((c["name"], c["image"]) for c in containers) == sorted(after)
    assert apply(live, _config({}, after), manager="m", force=False, now="t") == live
