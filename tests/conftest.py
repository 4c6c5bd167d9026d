"""Shared fixtures: a CLI driver on a temporary catalogue, and synthetic episodes with truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from celvault.cli import main


class Cli:
    def __init__(self, catalog: Path):
        self.catalog = catalog
        self.runner = CliRunner()

    def __call__(self, *args, ok: bool = True):
        res = self.runner.invoke(main, [str(a) for a in args], env={"CELVAULT_CATALOG": str(self.catalog),
                                                                  "CELVAULT_NO_PROGRESS": "1"})
        if ok and res.exit_code != 0:
            raise AssertionError(f"celvault {' '.join(map(str, args))} failed ({res.exit_code}):\n{res.output}\n{res.exception!r}")
        return res

    def json(self, *args, ok: bool = True):
        res = self(*args, "--json", ok=ok)
        start = min(i for i in (res.stdout.find("["), res.stdout.find("{")) if i >= 0)
        return json.loads(res.stdout[start:])


@pytest.fixture
def cli(tmp_path) -> Cli:
    c = Cli(tmp_path / "cat.db")
    c("init")
    return c


@pytest.fixture(scope="session")
def episodes(tmp_path_factory):
    """Two short synthetic episodes sharing an opening, with their ground truth."""
    from celvault.synthetic import EpisodeSpec, make_episode

    root = tmp_path_factory.mktemp("episodes")
    out = {}
    for name, seed in (("ep01", 1), ("ep02", 2)):
        spec = EpisodeSpec(seed=seed, width=320, height=180, fps=12.0, duration_s=20.0)
        path = root / f"{name}.mp4"
        out[name] = (path, make_episode(path, spec))
    return out
