"""`Session.run` stops the script: the graph is complete when a script first runs it, and running it would
start training.

Runs that only initialize (fetch variable or table initializers, or groups of them, without a feed) are
skipped instead and return what they would have returned (None per fetched op), so that the script goes
on to the run that feeds data; at most `MAX_SKIPPED_RUNS` of them, so a loop of such runs cannot spin.
At the stopping run, the minimum and maximum of every numeric array in its feed_dict are recorded as the
observed range of the fed tensor (by op name; `name:K` for output K > 0), labelled as stand-in data when
they came from a dataset stand-in.
"""
# ruff: noqa: TID251 - relative imports within the agent's own package, which is loaded without nanscope
from __future__ import annotations

from .datasets import stand_in_source
from .frames import live_user_frames
from .state import STOPPED_AT_SESSION_RUN, StopTracing, value_range

MAX_SKIPPED_RUNS = 20
INITIALIZER_OPS = frozenset({"Assign", "AssignVariableOp", "InitializeTableV2", "InitializeTable",
                             "InitializeTableFromTextFileV2", "InitializeTableFromTextFile", "NoOp",
                             "VarIsInitializedOp", "IsVariableInitialized"})


def is_initializer(graph, fetch, seen=None):
    """Whether running `fetch` only initializes state: an initializer op or a group (NoOp) of them."""
    from tensorflow.python.framework import ops

    if seen is None:
        seen = set()
    if isinstance(fetch, (list, tuple)):
        return bool(fetch) and all(is_initializer(graph, item, seen) for item in fetch)
    if isinstance(fetch, dict):
        return bool(fetch) and all(is_initializer(graph, item, seen) for item in fetch.values())
    try:
        element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
    except (TypeError, ValueError, KeyError):
        return False
    op = element if isinstance(element, ops.Operation) else None
    if op is None or op.type not in INITIALIZER_OPS:
        return False
    if op.name in seen:
        return True
    seen.add(op.name)
    if op.type == "NoOp":
        return all(is_initializer(graph, control, seen) for control in op.control_inputs)
    if op.type in ("Assign", "AssignVariableOp"):
        return not _depends_on_placeholder(op)
    return True


def _depends_on_placeholder(op, limit=10000):
    stack, seen = list(op.inputs), set()
    while stack and len(seen) < limit:
        tensor = stack.pop()
        source = tensor.op
        if source.name in seen:
            continue
        seen.add(source.name)
        if source.type in ("Placeholder", "PlaceholderWithDefault", "PlaceholderV2"):
            return True
        stack.extend(source.inputs)
    return False


def _nones_like(fetches):
    if isinstance(fetches, (list, tuple)):
        return type(fetches)(_nones_like(item) for item in fetches) if isinstance(fetches, list) \
            else tuple(_nones_like(item) for item in fetches)
    if isinstance(fetches, dict):
        return {key: _nones_like(value) for key, value in fetches.items()}
    return None


def observe_feed(graph, feed_dict, state):
    """Record min/max of every numeric value the stopping run feeds."""
    for key, value in (feed_dict or {}).items():
        try:
            tensor = graph.as_graph_element(key, allow_tensor=True, allow_operation=False) \
                if isinstance(key, str) else key
            op, index = tensor.op, tensor.value_index
        except (AttributeError, TypeError, ValueError, KeyError):
            continue
        name = op.name if index == 0 else f"{op.name}:{index}"
        dataset = stand_in_source(value)
        source = f"first Session.run feed (synthetic {dataset} stand-in)" if dataset else "first Session.run feed"
        state.observe(name, value_range(value), source)


def patch_sessions(tf, state):
    """Make every session's run (and partial run) stop the script before it executes anything."""
    def run(session, fetches, feed_dict=None, options=None, run_metadata=None):
        graph = getattr(session, "graph", None)
        if not feed_dict and graph is not None and state.skipped_runs < MAX_SKIPPED_RUNS \
                and is_initializer(graph, fetches):
            state.skipped_runs += 1
            return _nones_like(fetches)
        if graph is not None:
            observe_feed(graph, feed_dict, state)
        raise StopTracing(STOPPED_AT_SESSION_RUN, "Session.run", graph, live_user_frames(2))

    def stop(session, *args, **kwargs):
        raise StopTracing(STOPPED_AT_SESSION_RUN, "Session.partial_run", getattr(session, "graph", None),
                          live_user_frames(2))

    classes = set()
    for cls in (tf.compat.v1.Session, tf.compat.v1.InteractiveSession):
        classes.update(base for base in cls.__mro__ if base is not object)
    for cls in classes:
        if "run" in vars(cls):
            cls.run = run
        for method in ("partial_run", "partial_run_setup"):
            if method in vars(cls):
                setattr(cls, method, stop)
