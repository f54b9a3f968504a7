"""Search space <-> engine parameters: a flat dict of categorical choices per architecture.

Every registered space has a `ParamCodec` (`codec_for`): ``to_params(graph)`` gives the
flat parameters an engine such as Optuna samples, ``from_params(params)`` the architecture
back, exactly (``from_params(to_params(g)) == g`` for the graphs the space builds), and
``choices()`` every parameter name with its choices. The codecs need no engine installed;
`metanas.integrations.optuna.suggest_architecture` drives one with an Optuna trial.

* NAS-Bench-201 (`NB201Space`): ``edge_0_1 ... edge_2_3``, the op of each cell edge.
* NAS-Bench-Graph (`NasBenchGraphSpace`): ``link`` (one of the 9 patterns, written
  ``"0,0,1,2"``) and ``op_1 .. op_4``; when ``op_1 .. op_3`` are all ``skip`` the fourth is
  ``op_4_nonskip`` (no ``skip``: the all-skip architecture is not in the space).
* DAG spaces (`DAGSpace`): ``num_nodes``, ``op_1 .. op_k`` and one boolean per possible
  forward edge, ``edge_u_v`` (``0 <= u < v <= k``) and ``edge_u_out``.

A new kind of space plugs in with `register_codec`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from metanas.exceptions import ConfigError, InvalidArchitectureError
from metanas.graph import INPUT, OUTPUT, ModelGraph
from metanas.spaces import (
    LINK_PATTERNS,
    NB201_EDGES,
    DAGSpace,
    NasBenchGraphSpace,
    NB201Space,
    SearchSpace,
    get_space,
)

__all__ = ["ParamCodec", "codec_for", "from_params", "register_codec", "to_params"]

ParamValue = str | int | bool


class ParamCodec(ABC):
    """Maps the architectures of one space to flat categorical parameters and back.

    Args:
        space: the search space.
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space

    @abstractmethod
    def choices(self) -> dict[str, tuple[ParamValue, ...]]:
        """Every parameter name the space can use, with its choices (fixed per name)."""

    @abstractmethod
    def to_params(self, graph: ModelGraph) -> dict[str, ParamValue]:
        """The parameters of ``graph`` (validated in the space first)."""

    @abstractmethod
    def _build(self, params: Mapping[str, Any]) -> ModelGraph:
        """The architecture of already name-checked ``params``."""

    @abstractmethod
    def suggest(self, ask: Callable[[str, Sequence[ParamValue]], ParamValue]) -> ModelGraph:
        """Define-by-run: draw each parameter through ``ask(name, choices)``, in order."""

    def from_params(self, params: Mapping[str, Any]) -> ModelGraph:
        """The architecture of ``params``.

        Raises:
            ConfigError: the names or values do not match this space (e.g. a study made
                for another space); the message lists the missing and unexpected names.
            InvalidArchitectureError: the parameters describe no architecture of the space.
        """
        if not isinstance(params, Mapping):
            raise ConfigError(f"parameters of space {self.space.id!r} must be a mapping name -> value, got {params!r}")
        expected = self.expected_names(params)
        got = set(params)
        if got != expected:
            raise ConfigError(
                f"the parameters {sorted(got)} do not match search space {self.space.id!r}: missing "
                f"{sorted(expected - got)}, unexpected {sorted(got - expected)}; was the study made for another "
                f"space? (names of this space: {sorted(self.choices())})"
            )
        table = self.choices()
        for name in expected:
            if params[name] not in table[name] or type(params[name]) is not type(table[name][0]):
                raise ConfigError(
                    f"parameter {name!r} of space {self.space.id!r} must be one of {list(table[name])}, "
                    f"got {params[name]!r}"
                )
        return self.space.validate(self._build(params))

    def expected_names(self, params: Mapping[str, Any]) -> set[str]:
        """The names an architecture has, given the values of the structural ones in ``params``."""
        return set(self.choices())


class NB201Codec(ParamCodec):
    """Six edge operations ``edge_i_j`` (in `NB201_EDGES` order)."""

    space: NB201Space
    NAMES = tuple(f"edge_{i}_{j}" for i, j in NB201_EDGES)

    def choices(self) -> dict[str, tuple[ParamValue, ...]]:
        return {n: tuple(self.space.ops) for n in self.NAMES}

    def to_params(self, graph: ModelGraph) -> dict[str, ParamValue]:
        return dict(zip(self.NAMES, self.space.to_ops(graph)))

    def _build(self, params: Mapping[str, Any]) -> ModelGraph:
        return self.space.from_ops([params[n] for n in self.NAMES])

    def suggest(self, ask: Callable[[str, Sequence[ParamValue]], ParamValue]) -> ModelGraph:
        return self.space.from_ops([ask(n, self.space.ops) for n in self.NAMES])


def _link_text(link: Sequence[int]) -> str:
    return ",".join(str(int(x)) for x in link)


class NasBenchGraphCodec(ParamCodec):
    """``link`` and ``op_1 .. op_4`` (``op_4_nonskip`` after three ``skip``)."""

    space: NasBenchGraphSpace
    LINKS = tuple(_link_text(p) for p in LINK_PATTERNS)

    def _last_name(self, first: Sequence[str]) -> str:
        return "op_4_nonskip" if "skip" in self.space.ops and all(o == "skip" for o in first) else "op_4"

    def _last_choices(self, name: str) -> tuple[str, ...]:
        return tuple(o for o in self.space.ops if o != "skip") if name == "op_4_nonskip" else tuple(self.space.ops)

    def choices(self) -> dict[str, tuple[ParamValue, ...]]:
        out: dict[str, tuple[ParamValue, ...]] = {"link": self.LINKS}
        out.update({f"op_{i}": tuple(self.space.ops) for i in (1, 2, 3)})
        out["op_4"] = tuple(self.space.ops)
        if "skip" in self.space.ops:
            out["op_4_nonskip"] = self._last_choices("op_4_nonskip")
        return out

    def expected_names(self, params: Mapping[str, Any]) -> set[str]:
        first = [params.get(f"op_{i}") for i in (1, 2, 3)]
        return {"link", "op_1", "op_2", "op_3", self._last_name(first)}

    def to_params(self, graph: ModelGraph) -> dict[str, ParamValue]:
        link, ops = self.space.to_arch(graph)
        params: dict[str, ParamValue] = {"link": _link_text(link)}
        params.update({f"op_{i + 1}": ops[i] for i in range(3)})
        params[self._last_name(ops[:3])] = ops[3]
        return params

    def _build(self, params: Mapping[str, Any]) -> ModelGraph:
        first = [params[f"op_{i}"] for i in (1, 2, 3)]
        link = tuple(int(x) for x in params["link"].split(","))
        return self.space.from_arch(link, [*first, params[self._last_name(first)]])

    def suggest(self, ask: Callable[[str, Sequence[ParamValue]], ParamValue]) -> ModelGraph:
        link = ask("link", self.LINKS)
        first = [ask(f"op_{i}", self.space.ops) for i in (1, 2, 3)]
        name = self._last_name(first)
        last = ask(name, self._last_choices(name))
        return self.space.from_arch(tuple(int(x) for x in link.split(",")), [*first, last])


class DAGCodec(ParamCodec):
    """``num_nodes``, ``op_1 .. op_k`` and a boolean per forward edge (``edge_u_v``, ``edge_u_out``).

    Nodes are numbered as in the graph; an edge ``(u, v)`` with ``u > v`` (a graph not
    numbered topologically) cannot be expressed and raises `InvalidArchitectureError`.
    """

    space: DAGSpace

    def _edge_names(self, k: int) -> list[tuple[str, tuple[int, int]]]:
        out = [(f"edge_{u}_{v}", (u, v)) for v in range(1, k + 1) for u in range(v)]
        out += [(f"edge_{u}_out", (u, k + 1)) for u in range(k + 1)]
        return out

    def choices(self) -> dict[str, tuple[ParamValue, ...]]:
        s = self.space
        out: dict[str, tuple[ParamValue, ...]] = {"num_nodes": tuple(range(s.min_nodes, s.max_nodes + 1))}
        out.update({f"op_{i}": tuple(s.ops) for i in range(1, s.max_nodes + 1)})
        out.update({name: (False, True) for name, _ in self._edge_names(s.max_nodes)})
        return out

    def expected_names(self, params: Mapping[str, Any]) -> set[str]:
        k = params.get("num_nodes")
        if not isinstance(k, int) or isinstance(k, bool) or not self.space.min_nodes <= k <= self.space.max_nodes:
            return {"num_nodes"}
        return {"num_nodes", *(f"op_{i}" for i in range(1, k + 1)), *(n for n, _ in self._edge_names(k))}

    def to_params(self, graph: ModelGraph) -> dict[str, ParamValue]:
        graph = self.space.validate(graph)
        k = graph.num_nodes - 2
        backward = [e for e in graph.edges if e[0] > e[1]]
        if backward:
            raise InvalidArchitectureError(
                f"DAG space {self.space.id!r}: edges {backward} go from a later node to an earlier one; the "
                "parameters describe graphs numbered topologically (renumber the nodes in topological order)"
            )
        edges = set(graph.edges)
        params: dict[str, ParamValue] = {"num_nodes": k}
        params.update({f"op_{i}": graph.ops[i] for i in range(1, k + 1)})
        params.update({name: e in edges for name, e in self._edge_names(k)})
        return params

    def _graph(self, k: int, ops: Sequence[str], on: Callable[[str], bool]) -> ModelGraph:
        edges = tuple(e for name, e in self._edge_names(k) if on(name))
        return ModelGraph((INPUT, *ops, OUTPUT), edges, self.space.id)

    def _build(self, params: Mapping[str, Any]) -> ModelGraph:
        k = params["num_nodes"]
        return self._graph(k, [params[f"op_{i}"] for i in range(1, k + 1)], lambda name: params[name])

    def suggest(self, ask: Callable[[str, Sequence[ParamValue]], ParamValue]) -> ModelGraph:
        s = self.space
        k = ask("num_nodes", tuple(range(s.min_nodes, s.max_nodes + 1)))
        ops = [ask(f"op_{i}", s.ops) for i in range(1, k + 1)]
        drawn = {name: ask(name, (False, True)) for name, _ in self._edge_names(k)}
        return s.validate(self._graph(k, ops, drawn.__getitem__))


_CODECS: list[tuple[type, Callable[[SearchSpace], ParamCodec]]] = [
    (NB201Space, NB201Codec),
    (NasBenchGraphSpace, NasBenchGraphCodec),
    (DAGSpace, DAGCodec),
]


def register_codec(space_type: type, factory: Callable[[SearchSpace], ParamCodec]) -> None:
    """Make spaces of ``space_type`` (and its subclasses) expressible as engine parameters."""
    if not isinstance(space_type, type) or not issubclass(space_type, SearchSpace):
        raise ConfigError(f"register_codec needs a SearchSpace subclass, got {space_type!r}")
    _CODECS.insert(0, (space_type, factory))


def codec_for(space: SearchSpace | str) -> ParamCodec:
    """The codec of a space (a `SearchSpace` or a registered id).

    Raises:
        ConfigError: the space's kind has no codec; the message lists the kinds that do and
            names `register_codec`.
    """
    space = get_space(space)
    for space_type, factory in _CODECS:
        if isinstance(space, space_type):
            return factory(space)
    kinds = [t.__name__ for t, _ in _CODECS]
    raise ConfigError(
        f"search space {space.id!r} ({type(space).__name__}) cannot be expressed as engine parameters: only "
        f"{kinds} can; add a ParamCodec for it with metanas.integrations.register_codec({type(space).__name__}, ...)"
    )


def to_params(graph: ModelGraph, space: SearchSpace | str) -> dict[str, ParamValue]:
    """The flat parameters of ``graph`` in ``space`` (see `ParamCodec.to_params`)."""
    return codec_for(space).to_params(graph)


def from_params(params: Mapping[str, Any], space: SearchSpace | str) -> ModelGraph:
    """The architecture of flat parameters in ``space`` (see `ParamCodec.from_params`)."""
    return codec_for(space).from_params(params)
