"""The package layout is what README's "Layout" says: celvault.X lives in the top-level folder X/
(or in celvault/X/ for the CLI's own pieces), and every package folder is installed."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folder(package: str, mapping: dict[str, str]) -> Path:
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in mapping:
            return ROOT / mapping[head] / Path(*parts[n:])
    raise AssertionError(f"{package} has no package-dir entry")


def test_every_package_folder_is_installed_and_maps_to_its_name():
    st = _setuptools()
    mapping, packages = st["package-dir"], set(st["packages"])
    for top, folder in mapping.items():
        assert top == "celvault" or top == f"celvault.{folder}", f"{top} must live in {top.split('.')[-1]}/"
    found = set()
    for folder_name in mapping.values():
        for init in (ROOT / folder_name).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT)
            top = next(k for k, v in mapping.items() if v == rel.parts[0])
            found.add(".".join([top, *rel.parts[1:]]))
    assert found == packages, f"not installed: {sorted(found - packages)}; no folder: {sorted(packages - found)}"
    for package in packages:
        assert (_folder(package, mapping) / "__init__.py").is_file()


def _imports(folder: str) -> set[str]:
    out = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                out.add(node.module)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
    return out


def test_exporters_and_media_do_not_reach_into_stages():
    for folder in ("exporters", "celvault/media"):
        assert not [m for m in _imports(folder) if m.startswith("celvault.stages")], folder
