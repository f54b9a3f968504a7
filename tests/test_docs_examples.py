"""The code of the README's library example, the quickstart and the extending pages runs as written.

Each page's ``python`` blocks run in order in one namespace, in a temporary working folder;
what a page registers (a toy space, strategy, evaluator, metric) is unregistered afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metanas.graph import ModelGraph

REPO = Path(__file__).resolve().parents[1]


def _run_page(path: Path) -> dict:
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)
    assert blocks, f"{path} has no python example"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(path), "exec"), namespace)  # noqa: S102 - the page's own code
    return namespace


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def registered():
    """Names the page registers; removed afterwards, so a rerun in the same process does not collide."""
    from metanas.search import EVALUATORS, STRATEGIES
    from metanas.similarity import ARCH_METRICS
    from metanas.spaces import SPACES

    yield
    for registry, name in ((SPACES, "docs-chain"), (STRATEGIES, "docs-hill-climb"), (EVALUATORS, "docs-count-a"),
                           (ARCH_METRICS, "docs-opset")):
        registry.unregister(name)


@pytest.mark.slow
def test_the_readme_library_example(in_tmp):
    ns = _run_page(REPO / "README.md")
    population, db, suite = ns["population"], ns["db"], ns["suite"]
    space = suite.space("nbg/cora")
    assert len(population) == 20 and len({g.identity for g in population}) == 20
    assert all(space.validate(g) == g for g in population)
    past = {e.graph.identity for t in ("nbg/citeseer", "nbg/pubmed") for e in db.top_evaluations(t, 1049)}
    assert sum(g.identity in past for g in population) == 10  # transfer_ratio 0.5 of 20
    assert (in_tmp / "history.db").is_file()
    db.close()


@pytest.mark.slow
def test_the_quickstart(in_tmp, capsys):
    ns = _run_page(REPO / "docs" / "quickstart.md")
    plan = ns["plan"]
    assert len(plan.graphs) == 20 and sum(plan.counts().values()) == 20
    assert [t for t, _ in plan.similar_tasks] and all(t in ("nbg/citeseer", "nbg/pubmed") for t, _ in plan.similar_tasks)
    out = capsys.readouterr().out
    assert re.search(r"^cold evaluations to reach the top 1%: \d+$", out, flags=re.MULTILINE)
    assert re.search(r"^warm evaluations to reach the top 1%: \d+$", out, flags=re.MULTILINE)
    ns["db"].close()


def test_extending_a_space(in_tmp, registered):
    ns = _run_page(REPO / "docs" / "extending" / "space.md")
    from metanas.spaces import get_space

    assert isinstance(get_space("docs-chain"), ns["ChainSpace"])
    assert isinstance(ns["child"], ModelGraph) and ns["child"] != ns["graph"]


def test_extending_a_strategy(in_tmp, registered):
    ns = _run_page(REPO / "docs" / "extending" / "strategy.md")
    result = ns["result"]
    assert type(ns["strategy"]).__name__ == "HillClimb" and ns["strategy"].tries == 20
    assert len(result.evaluations) == 100


def test_extending_an_evaluator(in_tmp, registered):
    ns = _run_page(REPO / "docs" / "extending" / "evaluator.md")
    best = ns["result"].best()
    assert best.objective == float(sum(op == "a" for op in best.graph.ops)) >= 3


def test_extending_a_metric(in_tmp, registered):
    ns = _run_page(REPO / "docs" / "extending" / "metric.md")
    from metanas.similarity import get_arch_metric

    metric = get_arch_metric("docs-opset")
    a, b = ns["graphs"][:2]
    assert metric(a, a) == 1.0 and metric(a, b) == metric(b, a) == ns["m"][0, 1]
