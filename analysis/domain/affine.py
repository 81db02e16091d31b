"""Affine equality relations: a block's value as a linear form over atoms, `const + sum(coef * atom)`.

An `Atom` stands for the elements of one block of one tensor, seen through a chain of layout changes (the
names of the ops that moved elements: transpose, reshape, slice, broadcast, ...). Two occurrences of the
same atom denote the same element at every output position, so `x - x` cancels while `x - transpose(x)`
does not. An atom carries its own range.

A ReLU output gets a relu atom over its input's form B, with range relu([lo B, hi B]). The axioms of the
method are built in: relu(x) >= 0 and >= x by its range and by the substitution relu(B) = B + relu(-B)
(`relu(-B) >= 0`), relu(-B) is expressed as relu(B) - B (one canonical atom per +-B), and relu(relu(x)) is
relu(x).

Forms are exact-real relations; float arithmetic adds rounding error, which every form accumulates in
`err` (an absolute bound), so concretising a form is sound for the computation TensorFlow performs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from nanscope.analysis.domain.interval import INF, Interval

# Forms with more atoms than this are dropped (the block then becomes an atom of its own): bounds cost.
MAX_ATOMS = 24


@dataclass(frozen=True, eq=False, slots=True)
class Atom:
    key: tuple
    range: Interval
    relu_of: AffineForm | None = None   # set for relu atoms: the canonical base form

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Atom) and self.key == other.key

    def moved(self, via: str) -> Atom:
        """The same elements seen through one more layout change (named by the op that made it)."""
        return Atom(self.key + (via,), self.range, self.relu_of)


@dataclass(frozen=True, eq=False, slots=True)
class AffineForm:
    terms: Mapping[Atom, float] = field(default_factory=dict)
    const: float = 0.0
    err: float = 0.0

    @staticmethod
    def of_atom(atom: Atom) -> AffineForm:
        return AffineForm({atom: 1.0})

    @staticmethod
    def constant(value: float) -> AffineForm:
        return AffineForm({}, value)

    @property
    def key(self) -> tuple:
        """Hashable identity of the relation (rounding error excluded)."""
        return (self.const, tuple(sorted(((a.key, c) for a, c in self.terms.items()), key=repr)))

    def is_single_atom(self) -> Atom | None:
        if self.const == 0 and len(self.terms) == 1:
            (atom, coef), = self.terms.items()
            if coef == 1.0:
                return atom
        return None

    # -- arithmetic (exact in reals; callers add rounding error with `with_error`) ---------------------
    def __add__(self, other: AffineForm) -> AffineForm | None:
        terms = dict(self.terms)
        for atom, coef in other.terms.items():
            total = terms.get(atom, 0.0) + coef
            if total == 0.0:
                terms.pop(atom, None)
            else:
                terms[atom] = total
        if len(terms) > MAX_ATOMS:
            return None
        return AffineForm(terms, self.const + other.const, self.err + other.err)

    def scale(self, factor: float) -> AffineForm:
        if factor == 0:
            return AffineForm({}, 0.0, 0.0)
        return AffineForm({a: c * factor for a, c in self.terms.items()}, self.const * factor,
                          self.err * abs(factor))

    def __neg__(self) -> AffineForm:
        return AffineForm({a: -c for a, c in self.terms.items()}, -self.const, self.err)

    def __sub__(self, other: AffineForm) -> AffineForm | None:
        return self + (-other)

    def with_error(self, extra: float) -> AffineForm:
        return AffineForm(self.terms, self.const, self.err + extra)

    def moved(self, via: str) -> AffineForm:
        return AffineForm({a.moved(via): c for a, c in self.terms.items()}, self.const, self.err)

    # -- concretisation ------------------------------------------------------------------------------
    def bounds(self) -> Interval:
        """The tightest interval this relation proves: the better of keeping relu atoms as they are and
        substituting relu(B) = B + relu(-B) (which lets terms of B cancel)."""
        plain = _sum(self.terms, self.const, self.err)
        if not any(a.relu_of is not None for a in self.terms):
            return plain
        substituted = _sum(*_substitute_relus(self))
        return plain.meet(substituted) or plain


_F64_UNIT = 2.0 ** -53


def _sum(terms: Mapping[Atom, float], const: float, err: float) -> Interval:
    """const + sum(coef * range) +- err, with the float64 rounding of this very sum accounted for.

    A bound whose every contribution has a known sign keeps that sign exactly (0 stays 0).
    """
    lo = hi = const
    magnitude = abs(const)
    lo_nonneg = const >= 0
    hi_nonpos = const <= 0
    for atom, coef in terms.items():
        r = atom.range
        a, b = (coef * r.lo, coef * r.hi) if coef > 0 else (coef * r.hi, coef * r.lo)
        lo += a
        hi += b
        magnitude += max(abs(a), abs(b))
        lo_nonneg = lo_nonneg and a >= 0
        hi_nonpos = hi_nonpos and b <= 0
    if lo != lo or hi != hi:  # inf - inf: the relation proves nothing
        return Interval.top()
    slack = err + (2 * len(terms) + 2) * _F64_UNIT * magnitude if magnitude < INF else err
    lo, hi = lo - slack, hi + slack
    if lo_nonneg:
        lo = max(lo, 0.0)
    if hi_nonpos:
        hi = min(hi, 0.0)
    return Interval(lo, hi)


def _substitute_relus(form: AffineForm) -> tuple[dict[Atom, float], float, float]:
    """The terms, constant and error of `form` with every relu(B) replaced by B + relu(-B)."""
    terms: dict[Atom, float] = {}
    const, err = form.const, form.err
    for atom, coef in form.terms.items():
        if atom.relu_of is None:
            terms[atom] = terms.get(atom, 0.0) + coef
            continue
        base = atom.relu_of
        negative_part = negated_relu_atom(atom)
        terms[negative_part] = terms.get(negative_part, 0.0) + coef
        for inner, inner_coef in base.terms.items():
            terms[inner] = terms.get(inner, 0.0) + coef * inner_coef
        const += coef * base.const
        err += abs(coef) * base.err
    return {a: c for a, c in terms.items() if c != 0.0}, const, err


def negated_relu_atom(relu_atom: Atom) -> Atom:
    """relu(-B) for the relu atom relu(B): the amount by which relu(B) exceeds B; in [0, max(0, -lo B)]."""
    base_range = relu_atom.relu_of.bounds()
    return Atom(relu_atom.key + ("neg",), Interval(max(0.0, -base_range.hi), max(0.0, -base_range.lo)))


def relu_form(base: AffineForm, base_range: Interval) -> AffineForm:
    """The form of relu(x) for x with form `base` and range `base_range`.

    relu(relu(y)) = relu(y); relu(-B) = relu(B) - B, so +-B share one canonical atom.
    """
    if (atom := base.is_single_atom()) is not None and atom.relu_of is not None:
        return base
    canonical, sign = _canonical(base)
    canonical_range = base_range if sign > 0 else -base_range
    relu_atom = Atom(("relu",) + canonical.key, Interval(max(0.0, canonical_range.lo), max(0.0, canonical_range.hi)),
                     relu_of=AffineForm(canonical.terms, canonical.const, canonical.err))
    form = AffineForm.of_atom(relu_atom)
    if sign > 0:
        return form
    return (form - canonical) or form  # relu(-B) = relu(B) - B


def _canonical(form: AffineForm) -> tuple[AffineForm, int]:
    """+form or -form, whichever has a positive first coefficient in a fixed atom order."""
    if form.terms:
        first = min(form.terms, key=lambda a: repr(a.key))
        if form.terms[first] < 0:
            return -form, -1
    elif form.const < 0:
        return -form, -1
    return form, 1
