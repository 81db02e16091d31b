"""Reuse of abstract values between analyses of successive versions of a graph (saves in an editor).

Owns `AnalysisMemo`: a map from a node's *fingerprint* to the outputs its evaluation produced in the
interpreter's main pass (its abstract values, or that it was unsupported or failed), and the fingerprints
themselves.

A node's fingerprint is computed in topological order, Merkle-style, over everything its main-pass
evaluation can depend on: its name (atoms of the affine domain are named after nodes), op type, device,
control inputs, every attribute (dtypes, shapes, constant values by content), the transformer registered
for its op, the fingerprint and output index of each data input (a missing producer by name), and the
assumed ranges that name it (`Assumptions.ranges` under `name` or `name:INDEX`). These are encoded as bytes
(the node's *description*) and hash-consed: the fingerprint is the number the memo gave that exact
description, so equal fingerprints mean byte-equal descriptions, never a hash collision (large constant
arrays alone are represented by their SHA-256). What is common to the whole analysis (`AnalysisOptions`,
`Assumptions.max_elements` and `weight_range`) is not in the descriptions: the memo is emptied when it
changes. Transformers see only their node, their inputs' values and, through `Context.graph`, the
producers upstream of them (Select, Prod), which the descriptions cover; relu atoms are numbered by base
in a table of the affine domain, and the memo is emptied when that table's generation
(`affine.relu_numbering_generation`) changes (values from before a reset share no atoms with values after). So two nodes with
one fingerprint get identical abstract values, and a memo hit gives exactly what a fresh evaluation would.

Not memoised (evaluated afresh every time, as without a memo):

- nodes of v1 loops: a Merge with a back edge (NextIteration), everything downstream of it (the loop
  fixpoint re-evaluates them), and any node whose input is not fingerprinted before it (cycles);
- function-library ops (calls, functional While and If), whose bodies must be evaluated again so their
  unsafe ops are checked. Their outputs are fingerprinted by value (intervals, dtype, shape, partition,
  concrete value; their atoms are fresh ones named after the node), so what is downstream of them is
  memoised;
- nodes with an attribute of a type the encoding does not know (never guessed from `repr`).

The interpreter consults the memo in its main pass only: never in the loop fixpoint, never in function
bodies, never in predicate splitting's case re-evaluations. After an analysis the memo holds the entries and
descriptions of that analysis only (the last graph), at most `max_entries` of each (upstream first).
One memo per entry point; it is thread-safe (concurrent analyses each read the last committed entries; the last to finish wins).
"""
from __future__ import annotations

import hashlib
import itertools
import marshal
import threading
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Mapping, NamedTuple

import numpy as np

from nanscope.analysis.domain import affine
from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.graph.ir import FunctionRef, Graph, Node
from nanscope.analysis.transformers.registry import REGISTRY, AnalysisOptions, Assumptions

DEFAULT_MAX_ENTRIES = 500_000     # as many as the largest graph analysed by default (api.DEFAULT_MAX_OPS)
_NUMBERS = itertools.count(1)     # fingerprints: never reused, across all memos of the process


class MemoEntry(NamedTuple):
    """The main-pass result of one node: its outputs 0..n-1, or that it was unsupported or failed."""
    outputs: tuple[AbstractTensor, ...]
    unsupported: bool = False
    failed: str | None = None


@dataclass
class MemoStats:
    """What one analysis did with the memo."""
    hits: int = 0                 # nodes whose outputs came from the memo
    evaluated: list[str] = field(default_factory=list)   # nodes evaluated afresh in the main pass, in order
    uncacheable: int = 0          # of those, nodes that are never memoised (loops, function ops, odd attributes)


class AnalysisMemo:
    """Fingerprint -> main-pass outputs, for the last analysis of one entry point (see the module docstring).

    Fingerprints are hash-consed, not hashed: a node's description (its own content and its inputs'
    fingerprints, encoded as bytes) is looked up in the table of the descriptions seen in the last analysis,
    and the fingerprint is the number given to that exact description; a new description gets a new number.
    Two nodes share a fingerprint exactly when their descriptions are byte for byte equal, with no collision
    probability (only the contents of large constant arrays are represented by a SHA-256 digest)."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._numbers: dict[bytes, int] = {}       # description -> fingerprint
        self._entries: dict[int, MemoEntry] = {}   # fingerprint -> outputs
        self._settings: tuple | None = None
        self._epoch: int | None = None
        self.last: MemoStats | None = None     # the stats of the last analysis that used this memo

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._numbers, self._entries = {}, {}
            self._settings = self._epoch = None

    def begin(self, graph: Graph, assumptions: Assumptions, options: AnalysisOptions) -> MemoRun:
        """Start an analysis of `graph`: the entries kept are those made under the same settings."""
        settings = _settings_key(assumptions, options)
        epoch = relu_numbering_epoch()
        with self._lock:
            if settings != self._settings or epoch != self._epoch:
                self._numbers, self._entries, self._settings, self._epoch = {}, {}, settings, epoch
            numbers, previous = self._numbers, self._entries
        return MemoRun(self, numbers, previous, graph, assumptions, settings, epoch)

    def _commit(self, run: MemoRun) -> None:
        # Over the bound, the first entries in topological order are kept: a node can only be a hit when the
        # descriptions of everything upstream of it are kept too.
        numbers, current = run.numbers, run.current
        if len(current) > self.max_entries:
            current = dict(islice(current.items(), self.max_entries))
        if len(numbers) > self.max_entries:
            numbers = dict(islice(numbers.items(), self.max_entries))
        with self._lock:
            self.last = run.stats
            if relu_numbering_epoch() != run.epoch:    # relu numbers were reset during the run: start over
                self._numbers, self._entries, self._settings, self._epoch = {}, {}, None, None
            elif self._settings == run.settings:       # else another run changed the settings meanwhile
                self._numbers, self._entries, self._epoch = numbers, current, run.epoch


class MemoRun:
    """One analysis's use of a memo: fingerprints, lookups and the entries it makes."""

    def __init__(self, memo: AnalysisMemo, previous_numbers: Mapping[bytes, int],
                 previous: Mapping[int, MemoEntry], graph: Graph, assumptions: Assumptions, settings: tuple,
                 epoch: int) -> None:
        self.memo, self.previous_numbers, self.previous, self.graph = memo, previous_numbers, previous, graph
        self.settings, self.epoch = settings, epoch
        self.numbers: dict[bytes, int] = {}           # the descriptions of this analysis
        self.current: dict[int, MemoEntry] = {}
        self.stats = MemoStats()
        self.fingerprints: dict[str, int] = {}         # node name -> fingerprint of its outputs
        self._ranges = _ranges_by_node(assumptions)
        self._transformers: dict[str, int] = {}        # op type -> id of its transformer (-1: none)

    def _number(self, description: bytes) -> int:
        number = self.previous_numbers.get(description)
        if number is None:
            number = self.numbers.get(description)
            if number is None:
                number = next(_NUMBERS)
        self.numbers[description] = number
        return number

    def fingerprint(self, node: Node) -> int | None:
        """The node's structural fingerprint, or None when it cannot be memoised (an input without one, an
        attribute the encoding does not know)."""
        fingerprints = self.fingerprints
        kind = node.op
        transformer = self._transformers.get(kind)
        if transformer is None:
            found = REGISTRY.get(kind)
            transformer = self._transformers[kind] = -1 if found is None else id(found)
        description = [node.name, kind, node.device, node.control_inputs, self._ranges.get(node.name), transformer]
        for ref in node.inputs:
            found = fingerprints.get(ref.node)
            if found is None:
                if ref.node in self.graph:
                    return None        # volatile (loop) or not evaluated yet (cycle)
                description += (None, ref.node, ref.index)     # a producer missing from the graph, by name
            else:
                description += (found, ref.index)
        try:
            try:
                description.append(_attr_items(node.attrs))
                data = marshal.dumps(description, _MARSHAL_VERSION)
            except ValueError:     # a value marshal does not take (nested in a list, a numpy scalar, ...)
                description[-1] = _attr_items(node.attrs, as_text=True)
                data = marshal.dumps(description, _MARSHAL_VERSION)
        except (_Opaque, ValueError, TypeError):     # TypeError: attribute keys that do not sort
            return None
        return self._number(data)

    def value_fingerprint(self, node: Node, structural: int, entry: MemoEntry) -> int | None:
        """A fingerprint of a function op's outputs by value (see the module docstring), or None when an
        output carries a relation other than the fresh atoms the interpreter gives it."""
        parts = ["value", repr((structural, entry.unsupported, entry.failed is not None))]
        try:
            for index, value in enumerate(entry.outputs):
                for i, block in enumerate(value.blocks):
                    if block.form is not None:
                        atom = block.form.is_single_atom()
                        if atom is None or atom.key != (node.name, index, i) or atom.range != block.interval \
                                or atom.relu_of is not None or block.form.err != 0:
                            return None
                parts.append(_text((value.dtype, value.shape,
                                    None if value.partition is None else value.partition.splits,
                                    tuple((b.interval.lo, b.interval.hi, b.form is not None) for b in value.blocks),
                                    value.value)))
        except _Opaque:
            return None
        return self._number("|".join(parts).encode("utf-8", "surrogatepass"))

    def finish(self) -> None:
        self.memo._commit(self)


# -- encoding attribute values -----------------------------------------------------------------------------
# A node's fingerprint hashes `marshal.dumps(..., version 0)` of plain Python values: marshal is exact about
# types (1, 1.0 and True differ), version 0 writes floats with 17 significant digits (exact; -0.0 is not 0.0)
# and never writes references (later versions share interned strings and repeated objects, so equal values
# could give different bytes): equal values give equal bytes, and different bytes decode to different values.
# Attributes are listed sorted by key as (key, tag, value): tag 0 a value marshal takes as it is, 1 a dtype,
# 2 an array by content, 3 the injective text `_text` of anything else. A type neither knows is `_Opaque`.

_MARSHAL_VERSION = 0


class _Opaque(Exception):
    """A value whose content the fingerprint cannot capture."""


_DTYPE_TOKENS: dict[int, tuple[DType, tuple]] = {}   # id -> (dtype, token): dtypes are a few shared objects
_MAX_DTYPE_TOKENS = 1024
_SMALL_ARRAY_BYTES = 64


def _attr_items(attrs: Mapping, as_text: bool = False) -> list:
    items: list = []
    # Sorted by key (unique, so values are never compared): a NodeDef's attribute map comes in any order.
    for key, value in sorted(attrs.items()):
        kind = type(value)
        if kind is DType:
            found = _DTYPE_TOKENS.get(id(value))
            if found is None or found[0] is not value:   # the dtype is kept, so its id is not reused meanwhile
                if len(_DTYPE_TOKENS) >= _MAX_DTYPE_TOKENS:
                    _DTYPE_TOKENS.clear()
                found = _DTYPE_TOKENS[id(value)] = (value, (value.number, value.name, value.tf_name))
            items += (key, 1, found[1])
        elif kind is np.ndarray:
            items += (key, 2, _array_token(value))
        elif as_text:
            items += (key, 3, _text(value))
        else:
            items += (key, 0, value)
    return items


def _array_token(value: np.ndarray) -> tuple:
    if value.dtype.hasobject:
        raise _Opaque
    data = np.ascontiguousarray(value).tobytes()
    return (value.dtype.str, value.shape, data if len(data) <= _SMALL_ARRAY_BYTES else _digest(data))


# `_text`: reprs of str, int, float, bool, bytes and None (self-delimiting and distinct across these types),
# their repr for tuples and lists of them, tagged and bracketed forms for the rest: `t(...)`, `l(...)`,
# `D(...)` for a dtype, `A(...)` for an array by content, `F(...)` for a function reference, `{...}` for a
# mapping with str keys. Any other type is `_Opaque`.

_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def _text(value: Any) -> str:
    kind = type(value)
    if kind in _PLAIN:
        return repr(value)
    if kind is tuple or kind is list:
        if _PLAIN.issuperset(map(type, value)):
            return repr(value)
        return ("t(" if kind is tuple else "l(") + ",".join(map(_text, value)) + ")"
    if kind is DType:
        return f"D({value.number},{value.name!r},{value.tf_name!r})"
    if isinstance(value, (np.ndarray, np.generic)):
        dtype, shape, content = _array_token(np.asarray(value))
        return f"A({dtype!r},{shape!r},{content!r})"
    if kind is FunctionRef:
        return f"F({value.name!r},{_mapping_text(value.attrs)})"
    if isinstance(value, Mapping):
        return _mapping_text(value)
    raise _Opaque


def _mapping_text(mapping: Mapping) -> str:
    if not all(type(key) is str for key in mapping):
        raise _Opaque
    return "{" + ",".join(f"{key!r}:{_text(mapping[key])}" for key in sorted(mapping)) + "}"


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _settings_key(assumptions: Assumptions, options: AnalysisOptions) -> tuple:
    return (options, assumptions.max_elements, assumptions.weight_range)


def _ranges_by_node(assumptions: Assumptions) -> dict[str, str]:
    """Assumed ranges by the node they can concern: `name` and `name:INDEX` both concern node `name`."""
    found: dict[str, list] = {}
    for key, interval in assumptions.ranges.items():
        base, colon, index = key.rpartition(":")
        node = base if colon and index.isdigit() else key
        found.setdefault(node, []).append((key, interval.lo, interval.hi))
    return {node: repr(tuple(sorted(entries))) for node, entries in found.items()}


# -- relu numbering ----------------------------------------------------------------------------------------
# Relu atoms are numbered per base in a process-wide table that is emptied when it grows too large; a value
# made before that holds relu atoms that values made after it do not share, so the memo must start over.

def relu_numbering_epoch() -> int:
    """A number that changes whenever the relu numbering table has been reset."""
    return affine.relu_numbering_generation()
