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

import itertools
from dataclasses import dataclass, field
from typing import Mapping

from nanscope.analysis.domain.interval import INF, Interval

# Forms with more atoms than this are dropped (the block then becomes an atom of its own): bounds cost.
MAX_ATOMS = 24


@dataclass(frozen=True, eq=False, slots=True)
class Atom:
    key: tuple
    range: Interval
    relu_of: AffineForm | None = None   # set for relu atoms: the canonical base form B
    negative_part: Atom | None = None   # set for relu atoms: relu(-B), with its range fixed at creation

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Atom) and self.key == other.key

    def moved(self, via: str) -> Atom:
        """The same elements seen through one more layout change (named by the op that made it); a relu
        atom's base and negative part move with it, so substituting relu(B) = B + relu(-B) stays sound."""
        if self.relu_of is None:
            return Atom(self.key + (via,), self.range)
        negative = self.negative_part.moved(via) if self.negative_part is not None else None
        return Atom(self.key + (via,), self.range, self.relu_of.moved(via), negative)


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

    # -- arithmetic (exact in reals; callers add the op's rounding error with `with_error`) ------------
    # Coefficients are float64: when combining them rounds, the rounding times the atom's magnitude is
    # added to `err`, so a form never claims more than the exact real relation.
    def __add__(self, other: AffineForm) -> AffineForm | None:
        terms = dict(self.terms)
        err = self.err + other.err
        for atom, coef in other.terms.items():
            old = terms.get(atom, 0.0)
            total = old + coef
            err += _times(_sum_rounding(old, coef, total), _magnitude(atom.range))
            if total == 0.0:
                terms.pop(atom, None)
            else:
                terms[atom] = total
        if len(terms) > MAX_ATOMS:
            return None
        const = self.const + other.const
        err += _sum_rounding(self.const, other.const, const)
        return AffineForm(terms, const, err)

    def scale(self, factor: float) -> AffineForm:
        if factor == 0:
            return AffineForm({}, 0.0, 0.0)
        err = self.err * abs(factor) * (1 + _F64_UNIT) if self.err else 0.0
        terms = {}
        for atom, coef in self.terms.items():
            product = coef * factor
            if not _product_exact(coef, factor, product):
                err += _times(abs(product) * _F64_UNIT, _magnitude(atom.range))
            terms[atom] = product
        const = self.const * factor
        if not _product_exact(self.const, factor, const):
            err += abs(const) * _F64_UNIT
        return AffineForm(terms, const, err)

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
        substituted = _substitute_relus(self)
        if substituted is None:
            return plain
        return plain.meet(_sum(substituted.terms, substituted.const, substituted.err)) or plain


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
    # Sign of an exact relation: only when no rounding error is involved (err == 0).
    if lo_nonneg and err == 0:
        lo = max(lo, 0.0)
    if hi_nonpos and err == 0:
        hi = min(hi, 0.0)
    return Interval(lo, hi)


def _times(error: float, magnitude: float) -> float:
    """error * magnitude, where no error contributes nothing even for an unbounded magnitude."""
    return 0.0 if error == 0 else error * magnitude


def _magnitude(r: Interval) -> float:
    return max(abs(r.lo), abs(r.hi))


def _sum_rounding(a: float, b: float, total: float) -> float:
    """The exact rounding error of total = fl(a + b) (Fast2Sum), as an absolute value."""
    if total != total or abs(total) == INF:
        return 0.0 if total == a + b and (abs(a) == INF or abs(b) == INF) else INF
    big, small = (a, b) if abs(a) >= abs(b) else (b, a)
    return abs(small - (total - big))


_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant for float64


def _product_exact(a: float, b: float, product: float) -> bool:
    """Whether fl(a * b) == a * b exactly (Dekker's TwoProduct error is zero)."""
    if a == 0 or b == 0 or product != product or abs(product) == INF or abs(a) > 1e300 or abs(b) > 1e300:
        return a == 0 or b == 0
    def split(x):
        t = _SPLITTER * x
        hi = t - (t - x)
        return hi, x - hi
    a_hi, a_lo = split(a)
    b_hi, b_lo = split(b)
    error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return error == 0


def _substitute_relus(form: AffineForm) -> AffineForm | None:
    """`form` with every relu(B) replaced by B + relu(-B) (None if it grows beyond MAX_ATOMS).

    Built with the form arithmetic, so coefficient rounding is accounted for in `err`."""
    total: AffineForm | None = AffineForm({}, form.const, form.err)
    for atom, coef in form.terms.items():
        if atom.relu_of is None:
            piece = AffineForm({atom: coef})
        else:
            expansion = atom.relu_of + AffineForm.of_atom(negated_relu_atom(atom))
            if expansion is None:
                return None
            piece = expansion.scale(coef)
        total = total + piece
        if total is None:
            return None
    return total


def negated_relu_atom(relu_atom: Atom) -> Atom:
    """relu(-B) for the relu atom relu(B): the amount by which relu(B) exceeds B; in [0, max(0, -lo B)].

    Its range is fixed when the relu atom is made (from the relu's input range), so concretising a form
    never re-concretises the chain of relus below it (which would cost time exponential in its depth)."""
    if relu_atom.negative_part is not None:
        return relu_atom.negative_part
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
    # err is part of the key: relus of values that differ by rounding are different atoms.
    key = _relu_key((canonical.err,) + canonical.key)
    negative = Atom(key + ("neg",), Interval(max(0.0, -canonical_range.hi), max(0.0, -canonical_range.lo)))
    relu_atom = Atom(key, Interval(max(0.0, canonical_range.lo), max(0.0, canonical_range.hi)),
                     relu_of=AffineForm(canonical.terms, canonical.const, canonical.err), negative_part=negative)
    form = AffineForm.of_atom(relu_atom)
    if sign > 0:
        return form
    return (form - canonical) or form  # relu(-B) = relu(B) - B


# Relu atoms get compact keys: the full key of relu(B) would contain B's atoms' keys, and so the keys of
# the relus below it, growing exponentially along chains of relus. Equal bases get the same number while
# they are in the table; numbers are never reused, so forgetting the table (to bound its size) can only
# cost sharing, never make two different relus equal.
_RELU_NUMBERS: dict[tuple, int] = {}
_NEXT_RELU_NUMBER = itertools.count()
_MAX_RELU_NUMBERS = 200_000
_relu_table_generation = 0


def relu_numbering_generation() -> int:
    """How many times the relu numbering table was forgotten: values made in different generations do not
    share relu atoms, so a cache of abstract values (analysis/memo.py) must not mix them."""
    return _relu_table_generation


def _relu_key(base_key: tuple) -> tuple:
    global _relu_table_generation
    number = _RELU_NUMBERS.get(base_key)
    if number is None:
        if len(_RELU_NUMBERS) >= _MAX_RELU_NUMBERS:
            _RELU_NUMBERS.clear()
            _relu_table_generation += 1
        number = _RELU_NUMBERS.setdefault(base_key, next(_NEXT_RELU_NUMBER))
    return ("relu", number)


def _canonical(form: AffineForm) -> tuple[AffineForm, int]:
    """+form or -form, whichever has a positive first coefficient in a fixed atom order."""
    if form.terms:
        first = min(form.terms, key=lambda a: repr(a.key))
        if form.terms[first] < 0:
            return -form, -1
    elif form.const < 0:
        return -form, -1
    return form, 1
