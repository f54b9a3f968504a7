"""The wheel installs one import name, `metanas`, and works outside the repository.

Builds the wheel of this checkout, installs it (without dependencies: they come from the
running environment through a path file) into a throwaway venv, and runs the README's
commands from a folder that is not the repository, with a shipped config and checkpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(root), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = root.glob("metanas-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    # dependencies (torch, PyG, ...) from the running environment; its own metanas is an
    # editable install whose finder lives in a .pth file, which a path entry does not run
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    deps = [p for p in sys.path if p and Path(p).is_dir() and "site-packages" in p]
    (site / "_deps.pth").write_text("\n".join(dict.fromkeys([sysconfig.get_paths()["purelib"], *deps])) + "\n")
    work = root / "elsewhere"
    work.mkdir()
    return wheel, env_dir, work


def _run(env_dir: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    return subprocess.run([*args], check=False, cwd=work, env=env, capture_output=True, text=True, timeout=600)


def test_wheel_has_one_top_level_name_and_ships_configs_and_checkpoints(wheel_env):
    wheel, _, _ = wheel_env
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert zf.read(top_level).decode().split() == ["metanas"]
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"metanas"}
    for config in (REPO / "configs").glob("*.yaml"):
        assert f"metanas/configs/{config.name}" in names
    for card in (REPO / "checkpoints").glob("*/model_card.json"):
        assert f"metanas/checkpoints/{card.parent.name}/model_card.json" in names
        assert f"metanas/checkpoints/{card.parent.name}/weights.pt" in names


def test_installed_wheel_imports_metanas_models_but_not_models(wheel_env):
    _, env_dir, work = wheel_env
    python = str(env_dir / "bin" / "python")
    code = (
        "import metanas, metanas.models, metanas.training; "
        "assert metanas.models.__file__.startswith(sys.prefix), metanas.models.__file__; print('ok')"
    )
    out = _run(env_dir, work, python, "-c", "import sys; " + code)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    for name in ("models", "training"):
        out = _run(env_dir, work, python, "-c", f"import {name}")
        assert out.returncode != 0 and "No module named" in out.stderr, (name, out.stderr)


def test_installed_wheel_runs_the_cli_with_a_shipped_config_and_checkpoint(wheel_env):
    _, env_dir, work = wheel_env
    metanas = str(env_dir / "bin" / "metanas")
    out = _run(env_dir, work, metanas, "demo", "--help")
    assert out.returncode == 0 and "usage: metanas demo" in out.stdout, out.stderr
    out = _run(env_dir, work, metanas, "--version")
    assert out.returncode == 0 and out.stdout.strip().startswith("metanas "), out.stderr
    assert not (work / "configs").exists() and not (work / "checkpoints").exists()
    out = _run(env_dir, work, metanas, "db", "import", "--suite", "nasbench-graph", "--db", "h.db",
               "--tasks", "cora", "citeseer", "computers")
    assert out.returncode == 0, out.stderr
    out = _run(env_dir, work, metanas, "warm-start", "--db", "h.db", "--suite", "nasbench-graph", "--task", "photo",
               "--population", "10", "--config", "configs/warm_start_task_embedding.yaml", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["metric"] == "task_embedding", plan["notes"]  # the shipped checkpoint loaded: no fallback
    assert len(plan["population"]) == 10
