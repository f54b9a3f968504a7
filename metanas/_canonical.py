"""The computation canonical form of a `ModelGraph`, hashed bottom-up (a Merkle tree).

`ModelGraph.canonical_hash` is SHA-256 over this structure; `ModelGraph.canonical_form` spells
it out as NAS-Bench-201's ``UniqueString``. The string grows as ``2^k`` on a chain of ``k``
diamonds (a node feeding two successors that join again), because every use of a term copies
it; the hash never builds it. Each node's value is built once, from its predecessors' values:

* an *atom* is the input ``0``, the zero ``#``, or an operation applied to a sum, ``(S)@op``,
  identified by SHA-256 of its label and its sum's digest, and interned: equal atoms get one
  id, so a term used twice is held twice by reference, never copied;
* a *sum* is the sequence of atoms that the string form's ``+``-join writes out: a node's
  incoming sum concatenates its predecessors' sums in the order the string form sorts them,
  the order of their strings; `_Terms.compare_sums` computes that order from the structure
  (``#`` < ``(`` < ``0``; equal prefixes: the shorter sum first, as ``)`` and the string's end
  sort before ``+``; operations on the same sum: by label). A sum's digest is SHA-256 of its
  atoms' digests in order, and the graph's digest is that of the output's sum.

So both have the same equivalence classes (tested against the string on NAS-Bench-201's
15,625 cells and on sampled DAG spaces), except where a label that is a prefix of another
is followed by a character that sorts before ``+`` (blanks, ``!"#$%&'()*``): there the string
form was ambiguous anyway. Hashing costs one SHA-256 per node and the total length of the sums:
about linear unless identity operations re-sum the same sums again and again (``k`` chained
diamonds of ``skip_connect`` nodes sum ``2^k`` copies of the input); such a graph is refused
once its sums hold more than `MAX_CANONICAL_TERMS` atoms together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cmp_to_key

from metanas.exceptions import InvalidArchitectureError

__all__ = ["MAX_CANONICAL_FORM_CHARS", "MAX_CANONICAL_TERMS", "canonical_digest", "canonical_string"]

#: Most atoms all of a graph's sums may hold together before hashing refuses the graph.
MAX_CANONICAL_TERMS = 2_000_000
#: Longest canonical form string `canonical_string` writes out (the hash has no such limit).
MAX_CANONICAL_FORM_CHARS = 10_000_000

_KIND_ZERO, _KIND_OP, _KIND_INPUT = "#", "(", "0"  # as they sort in the string form


class _Terms:
    """Interned atoms and sums of one graph: equal structures get equal ids (by SHA-256)."""

    def __init__(self) -> None:
        self.kind: list[str] = []
        self.inner: list[int] = []  # the sum an operation atom applies to (-1 otherwise)
        self.op: list[str] = []
        self.digest: list[bytes] = []
        self._atom_ids: dict[bytes, int] = {}
        self.sums: list[tuple[int, ...]] = []
        self._sum_ids: dict[tuple[int, ...], int] = {}
        self._sum_digest: dict[int, bytes] = {}
        self.zero = self.atom(_KIND_ZERO, -1, "", hashlib.sha256(b"atom:#").digest())
        self.input = self.atom(_KIND_INPUT, -1, "", hashlib.sha256(b"atom:0").digest())

    def atom(self, kind: str, inner: int, op: str, digest: bytes) -> int:
        found = self._atom_ids.get(digest)
        if found is not None:
            return found
        self.kind.append(kind)
        self.inner.append(inner)
        self.op.append(op)
        self.digest.append(digest)
        self._atom_ids[digest] = len(self.kind) - 1
        return len(self.kind) - 1

    def sum(self, atoms: tuple[int, ...]) -> int:
        found = self._sum_ids.get(atoms)
        if found is None:
            found = self._sum_ids[atoms] = len(self.sums)
            self.sums.append(atoms)
        return found

    def sum_digest(self, s: int) -> bytes:
        d = self._sum_digest.get(s)
        if d is None:
            d = self._sum_digest[s] = hashlib.sha256(b"".join(self.digest[a] for a in self.sums[s])).digest()
        return d

    def op_atom(self, op: str, inner: int) -> int:
        label = op.encode()
        digest = hashlib.sha256(b"atom:op" + len(label).to_bytes(8, "big") + label + self.sum_digest(inner)).digest()
        return self.atom(_KIND_OP, inner, op, digest)

    def compare_sums(self, s: int, t: int) -> int:
        """-1, 0 or 1 as the string forms of sums ``s`` and ``t`` compare.

        Iterative: the comparison descends to the first differing atom, then into that
        atom's inner sum, and so on; a chain as deep as the graph costs no recursion.
        """
        while s != t:
            xs, xt = self.sums[s], self.sums[t]
            i = next((i for i, (p, q) in enumerate(zip(xs, xt)) if p != q), None)
            if i is None:  # one is a prefix of the other: the shorter sorts first
                return -1 if len(xs) < len(xt) else 1
            a, b = xs[i], xt[i]
            if self.kind[a] != self.kind[b]:
                return -1 if self.kind[a] < self.kind[b] else 1
            if self.inner[a] == self.inner[b]:  # both operations on the same sum
                return -1 if self.op[a] < self.op[b] else 1
            s, t = self.inner[a], self.inner[b]
        return 0


def canonical_digest(
    ops: Sequence[str],
    predecessors: Sequence[Sequence[int]],
    order: Sequence[int],
    identity_ops: frozenset[str],
    zero_ops: frozenset[str],
) -> str:
    """SHA-256 (hex, 32 chars) of the canonical form, computed without writing it out.

    Args:
        ops: node labels; node 0 is the input, the last node the output.
        predecessors: predecessors of each node.
        order: a topological order of the nodes.
        identity_ops: labels that pass their inputs through.
        zero_ops: labels whose output is zero.

    Returns:
        The hex digest (32 characters).

    Raises:
        InvalidArchitectureError: the sums hold more than `MAX_CANONICAL_TERMS` atoms.
    """
    terms = _Terms()
    by_string = cmp_to_key(terms.compare_sums)
    last = len(ops) - 1
    value = [0] * len(ops)  # each node's sum (an id in ``terms``)
    zero_sum = terms.sum((terms.zero,))
    budget = MAX_CANONICAL_TERMS
    for v in order:
        if v == 0:
            value[v] = terms.sum((terms.input,))
            continue
        preds = predecessors[v]
        if len(preds) == 1:
            incoming = value[preds[0]]
        else:
            parts = sorted((value[p] for p in preds), key=by_string)
            atoms = tuple(a for s in parts for a in terms.sums[s])
            budget -= len(atoms)
            if budget < 0:
                raise InvalidArchitectureError(
                    f"ModelGraph with {len(ops)} nodes: its canonical form sums more than "
                    f"{MAX_CANONICAL_TERMS:,} terms (identity operations that re-sum the same inputs, e.g. "
                    "chained diamonds of skip connections, double the sum at each step); such a graph "
                    "cannot be hashed"
                )
            incoming = terms.sum(atoms)
        op = ops[v]
        if v == last or op in identity_ops:
            value[v] = incoming
        elif op in zero_ops or incoming == zero_sum:
            value[v] = zero_sum
        else:
            value[v] = terms.sum((terms.op_atom(op, incoming),))
    return terms.sum_digest(value[last]).hex()[:32]


def canonical_string(
    ops: Sequence[str],
    predecessors: Sequence[Sequence[int]],
    order: Sequence[int],
    identity_ops: frozenset[str],
    zero_ops: frozenset[str],
) -> str:
    """The canonical form written out (NAS-Bench-201's ``UniqueString`` on its cells).

    Its length is computed first, so that a graph whose form would be huge (``2^k`` on ``k``
    chained diamonds) is refused instead of exhausting memory.

    Raises:
        InvalidArchitectureError: the form would be longer than `MAX_CANONICAL_FORM_CHARS`.
    """
    last = len(ops) - 1
    term: list[str] = [""] * len(ops)
    length = [0] * len(ops)
    zero = [False] * len(ops)
    for v in order:  # lengths only: Python integers, no strings yet
        if v == 0:
            length[v] = 1
            continue
        preds = predecessors[v]
        incoming = sum(length[p] for p in preds) + len(preds) - 1
        op = ops[v]
        if v == last or op in identity_ops:
            length[v], zero[v] = incoming, len(preds) == 1 and zero[preds[0]]
        elif op in zero_ops or (len(preds) == 1 and zero[preds[0]]):
            length[v], zero[v] = 1, True
        else:
            length[v] = incoming + 3 + len(op)
    if length[last] > MAX_CANONICAL_FORM_CHARS:
        raise InvalidArchitectureError(
            f"ModelGraph with {len(ops)} nodes: its canonical form would hold {length[last]:,} characters, "
            f"more than {MAX_CANONICAL_FORM_CHARS:,}; use canonical_hash, which never writes it out"
        )
    for v in order:
        if v == 0:
            term[v] = "0"
            continue
        incoming = "+".join(sorted(term[p] for p in predecessors[v]))
        op = ops[v]
        if v == last or op in identity_ops:
            term[v] = incoming
        elif op in zero_ops or incoming == "#":
            term[v] = "#"
        else:
            term[v] = "(" + incoming + ")@" + op
    return term[last]
