"""One source of truth for settings: configs/default.yaml says exactly what the settings classes
hold, and a bad value anywhere is one error naming its path."""

from __future__ import annotations

import dataclasses
from importlib import resources

import pytest
import yaml

from celvault import registry
from celvault.catalog.settings import CatalogSettings
from celvault.config import Config, ModelsSettings
from celvault.errors import ConfigError
from celvault.ingest.ingest import IngestSettings
from celvault.settings import defaults, to_dict
from celvault.stages.stage_settings import check_config, parse_stage

DEFAULT = yaml.safe_load(resources.files("celvault.configs").joinpath("default.yaml").read_text())
OPTIONAL = {"enabled", "sections", "extra", "backend"}  # stage fields default.yaml may leave out (tag and cluster have no backend to choose)


@pytest.mark.parametrize("section,cls", [("catalog", CatalogSettings), ("ingest", IngestSettings),
                                         ("models", ModelsSettings)])
def test_default_yaml_sections_are_the_classes_defaults(section, cls):
    assert DEFAULT[section] == defaults(cls)


@pytest.mark.parametrize("name", registry.stage_order())
def test_default_yaml_stage_is_the_stage_class(name):
    cls = registry.load("stage", name)
    settings = parse_stage(cls, None)
    mine = to_dict(settings)
    written = dict(DEFAULT["stages"][name])
    sections = {k: written.pop(k) for k in list(written) if k in settings.sections}
    for key, value in written.items():
        assert key in mine, f"stages.{name}.{key} is in default.yaml but not in {cls.Settings.__name__}"
        assert mine[key] == value, f"stages.{name}.{key}: default.yaml {value!r}, class {mine[key]!r}"
    assert set(mine) - set(written) <= OPTIONAL, f"stages.{name}: the class has settings default.yaml does not show"
    kind = getattr(cls, "backend_kind", None)
    if kind and name != "tag":  # tag's model is embed's
        # a backend's section may be left out (its class holds the defaults; `config show` lists it)
        assert set(sections) <= set(registry.sections(kind)), f"stages.{name}: unknown backend sections"
        for key, value in sections.items():
            assert value == defaults(registry.sections(kind)[key]), f"stages.{name}.{key}"


def test_every_setting_has_help():
    classes = [CatalogSettings, IngestSettings, ModelsSettings]
    classes += [registry.load("stage", n).Settings for n in registry.stage_order()]
    classes += [c for kind in registry.kinds() if kind != "stage" for c in registry.sections(kind).values()]
    for cls in classes:
        for f in dataclasses.fields(cls):
            if f.name != "sections":
                assert f.metadata.get("celvault", {}).get("help"), f"{cls.__name__}.{f.name} has no help text"


@pytest.mark.parametrize("data,message", [
    ({"stages": {"segment": {"plate": {"tolerance": 300}}}}, "stages.segment.plate.tolerance: must be 0-255, got 300"),
    ({"stages": {"segment": {"plausible": {"max_holes": "many"}}}}, "stages.segment.plausible.max_holes: expected a number"),
    ({"stages": {"inpaint": {"dilate": 600}}}, "stages.inpaint.dilate: must be 0-512, got 600"),
    ({"stages": {"dedup": {"radius": 3.5}}}, "stages.dedup.radius: expected a whole number"),
    ({"stages": {"dedup": {"backend": "anything"}}}, "unknown dedup (stage) backend 'anything'"),
    ({"stages": {"cluster": {"min_cluster_size": 1}}}, "stages.cluster.min_cluster_size: must be at least 2, got 1"),
    ({"stages": {"segmnt": {}}}, "stages.segmnt: unknown stage"),
    ({"stages": {"segment": {"min_ara": 0.1}}}, "stages.segment.min_ara: unknown setting"),
    ({"stages": {"segment": {"min_area": 0.7}}}, "stages.segment.min_area: must be below max_area"),
    ({"ingest": {"detector": "magic"}}, "ingest.detector: must be one of adaptive, transnetv2, threshold, auto"),
    ({"ingset": {}}, "ingset: unknown section"),
    ({"models": {"download": "yes"}}, "models.download: expected true or false"),
])
def test_a_bad_setting_is_one_error_naming_its_path(data, message):
    with pytest.raises(ConfigError) as err:
        check_config(Config.load(overrides=data))
    assert message in str(err.value)


def test_cli_names_the_setting(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  segment:\n    plate:\n      tolerance: 300\n")
    result = cli("run", "--config", bad, ok=False)
    assert result.exit_code == 1
    assert "Error: stages.segment.plate.tolerance: must be 0-255, got 300" in result.output
    assert "Traceback" not in result.output


def test_run_options_never_travel_inside_stage_settings():
    for name in registry.stage_order():
        fields = {f.name for f in dataclasses.fields(registry.load("stage", name).Settings)}
        assert not {"force", "redo", "recluster", "device", "batch_size", "download"} & fields
        assert not [f for f in fields if f.startswith("_")]


def test_config_show_lists_every_setting_and_reads_back(cli, tmp_path):
    shown = cli("config", "show", "--profile", "offline").output
    assert "min_area: 0.005" in shown and "# regions smaller than this fraction of the frame" in shown
    data = yaml.safe_load(shown)
    assert data["stages"]["segment"]["backend"] == "plate" and data["models"]["download"] is False
    assert set(data["stages"]["segment"]) >= {"plate", "rembg", "sam2", "plausible"}  # every backend section
    saved = tmp_path / "all.yaml"
    saved.write_text(shown)
    check_config(Config.load(path=saved))  # what it prints is a valid --config file
    assert cli.json("config", "show", "--config", saved) == data


def test_every_stage_checks_its_backend_name(cli):
    res = cli("run", "--backend", "dedup=anything", ok=False)
    assert res.exit_code == 1
    assert "Error: stages.dedup.backend: unknown dedup (stage) backend 'anything'; known: imagehash" in res.output
