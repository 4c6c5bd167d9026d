"""The one registry: what it derives from the backends' declarations, their typed settings,
and a third-party plugin found through a real entry point."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from celvault import registry
from celvault.errors import ConfigError, UnknownBackend
from celvault.settings import defaults, info

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "open_clip", "sam2", "transformers", "onnxruntime", "rembg")


def test_names_sections_and_stage_order_come_from_the_declarations():
    assert registry.names("segmenter") == ["isnet-anime", "isnet-general-use", "null", "plate", "sam2",
                                             "u2net", "u2netp"]
    assert registry.names("inpainter") == ["lama", "null", "plate", "telea"]
    assert registry.names("embedder") == ["null", "open_clip", "palette"]
    assert registry.names("captioner") == ["blip", "null", "wd14"]
    assert set(registry.sections("segmenter")) == {"rembg", "sam2", "plate"}
    assert set(registry.sections("inpainter")) == {"lama", "telea", "plate"}
    assert registry.sections("segmenter")["plate"] is not registry.sections("inpainter")["plate"]
    assert registry.stage_order() == ["dedup", "segment", "effects", "inpaint", "embed", "track", "caption", "tag",
                                      "cluster"]
    assert registry.stage_of("inpainter") == "inpaint"
    with pytest.raises(UnknownBackend, match=r"unknown segmenter backend 'nope'; known: isnet-anime, .*plate"):
        registry.load("segmenter", "nope")
    with pytest.raises(UnknownBackend, match=r"unknown segment \(segmenter\) backend 'x'"):
        registry.validate("segmenter", "x", "segment (segmenter)")


def test_known_weights_are_what_the_backends_declare():
    specs = registry.known_weights()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    assert set(names) == {"isnet-anime", "isnet-general-use", "u2net", "u2netp", "sam2.1-hiera-tiny",
                          "sam2.1-hiera-small", "sam2.1-hiera-base-plus", "sam2.1-hiera-large", "lama",
                          "ViT-B-32/laion2b_s34b_b79k", "blip-image-captioning-base", "wd-swinv2-tagger-v3",
                          "clipseg-rd64-refined"}
    assert [s.stage for s in specs] == sorted((s.stage for s in specs), key=registry.stage_order().index)
    # what a backend built with its defaults loads is what `models list` shows
    assert registry.build("embedder", "open_clip").models() == [s for s in specs if s.stage == "embed"]
    assert registry.build("segmenter", "sam2").models()[0].name == "sam2.1-hiera-large"


def test_backend_defaults_are_those_of_default_yaml():
    data = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())["stages"]
    checked = 0
    for kind in ("segmenter", "inpainter", "embedder", "captioner"):
        stage = registry.stage_of(kind)
        for section, cls in registry.sections(kind).items():
            assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
            assert all(info(f)["help"] for f in dataclasses.fields(cls)), f"{cls.__name__}: a setting has no help"
            written = data[stage].get(section, {})  # a section may be left out: the class holds it
            assert {k: defaults(cls)[k] for k in written} == written, f"stages.{stage}.{section}"
            checked += 1
    assert checked == 10


def test_bad_settings_name_their_path():
    cases = [
        ("segmenter", "plate", {"plate": {"tolerance": 300}}, "stages.segment.plate.tolerance: must be 0-255, got 300"),
        ("segmenter", "plate", {"plate": {"fallback": "plate"}}, "stages.segment.plate.fallback: cannot be plate"),
        ("segmenter", "plate", {"plate": {"fallback": "nope"}},
         "stages.segment.plate.fallback: unknown segmenter 'nope'; known: isnet-anime"),
        ("segmenter", "sam2", {"sam2": {"model": "facebook/sam3"}}, "stages.segment.sam2.model: must be one of"),
        ("segmenter", "isnet-anime", {"rembg": {"batch": 0}}, "stages.segment.rembg.batch: must be at least 1, got 0"),
        ("inpainter", "plate", {"plate": {"fallback": "none"}}, "stages.inpaint.plate.fallback: an inpainter is needed"),
        ("inpainter", "telea", {"telea": {"radius": "wide"}}, "stages.inpaint.telea.radius: expected a whole number"),
        ("embedder", "palette", {"palette": {"hue_bins": 64, "sat_bins": 16, "val_bins": 16}},
         "stages.embed.palette: hue_bins x sat_bins x val_bins must be at most 4096, got 16384"),
        ("captioner", "wd14", {"wd14": {"general_threshold": 1.5}}, "stages.caption.wd14.general_threshold: must be 0-1"),
        ("captioner", "blip", {"blip": {"beams": 3}}, "stages.caption.blip.beams: unknown setting"),
        ("captioner", "blip", {"colour": {}}, "stages.caption.colour: no captioner backend reads this section"),
    ]
    for kind, name, options, message in cases:
        with pytest.raises(ConfigError) as err:
            registry.build(kind, name, options)
        assert str(err.value).startswith(message), str(err.value)


def test_params_leave_runtime_settings_out_and_keep_todays_config_ids():
    def params(kind, name, options=None):
        return registry.build(kind, name, options).params()

    assert params("segmenter", "u2netp", {"rembg": {"batch": 2, "batched": False}}) == {}
    assert params("segmenter", "sam2", {"sam2": {"points_per_batch": 64}}) == {
        "model": "facebook/sam2.1-hiera-large", "points_per_side": 32, "pred_iou_thresh": 0.7,
        "stability_score_thresh": 0.8, "min_mask_region_area": 4096}
    plate = {"tolerance": 24, "min_frames": 3, "static_fraction": 0.25, "max_frames": 48, "moved_shift": 0.2}
    assert params("segmenter", "plate") == {**plate, "fallback": "none"}
    assert params("segmenter", "plate", {"plate": {"fallback": "u2netp"}}) == {**plate, "fallback": "u2netp",
                                                                               "fallback_params": {}}
    assert params("inpainter", "plate") == {**plate, "fallback": "telea", "fallback_params": {"radius": 3}}
    assert params("inpainter", "lama", {"lama": {"batch": 1}}) == {}
    assert params("embedder", "palette") == {"hue_bins": 12, "sat_bins": 3, "val_bins": 3, "min_value": 56}
    assert params("embedder", "open_clip") == {"model": "ViT-B-32", "pretrained": "laion2b_s34b_b79k"}
    assert params("captioner", "blip") == {"model": "Salesforce/blip-image-captioning-base", "prompt": "",
                                           "max_new_tokens": 30, "num_beams": 3}
    assert params("captioner", "wd14") == {"model": "SmilingWolf/wd-swinv2-tagger-v3", "general_threshold": 0.35,
                                           "character_threshold": 0.85, "underscores": False}


def test_discovery_and_building_every_backend_import_no_model_library():
    code = textwrap.dedent(f"""
        import json, sys
        from celvault import registry
        built = [registry.build(d.kind, d.name) for d in registry.declarations() if d.kind != "stage"]
        [b.params() for b in built]
        registry.known_weights()
        print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout.splitlines()[-1]) == []


# -- plugins ----------------------------------------------------------------------------

PLUGIN = '''
from dataclasses import dataclass

import numpy as np

from celvault.registry import register
from celvault.settings import setting
from celvault.stages.backends.hub_files import LocalFile
from celvault.stages.backends.segmenter import Segmentation, Segmenter


@dataclass(frozen=True)
class GreySettings:
    level: int = setting(128, "grey level of the soft alpha", min=0, max=255)


@register("segmenter", "grey", settings=GreySettings,
          weights=(LocalFile("grey-weights", "segment", "celvault-grey", path={weights!r}),))
class GreySegmenter(Segmenter):
    def segment(self, frames):
        return [Segmentation("grey", soft=np.full(f.rgb.shape[:2], self.options.level, np.uint8)) for f in frames]


@register("stage", "grey-stage")
class GreyStage:
    order = 65  # between tag (60) and cluster (70)
'''


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A distribution on sys.path with an entry point in celvault.plugins; the registry as it
    was is restored afterwards."""
    registry.discover()
    saved = {kind: dict(by_name) for kind, by_name in registry._DECLARED.items()}
    dist = tmp_path / "celvault_grey-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: celvault-grey\nVersion: 0.1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path, dist
    registry._DECLARED.clear()
    registry._DECLARED.update(saved)
    for name in ("celvault_grey", "celvault_broken"):
        sys.modules.pop(name, None)
    registry._discovered = True  # as it was: the built-in modules are imported, the plugin is gone


def test_a_plugin_declares_a_backend_and_a_stage_through_an_entry_point(plugin_dir, cli):
    root, dist = plugin_dir
    (root / "grey.bin").write_bytes(b"weights")
    (root / "celvault_grey.py").write_text(PLUGIN.format(weights=str(root / "grey.bin")))
    (dist / "entry_points.txt").write_text("[celvault.plugins]\ngrey = celvault_grey\n")
    registry.rediscover()
    assert "grey" in registry.names("segmenter")
    assert registry.sections("segmenter")["grey"].__name__ == "GreySettings"
    assert registry.stage_order()[-3:] == ["tag", "grey-stage", "cluster"]
    seg = registry.build("segmenter", "grey", {"grey": {"level": 7}})
    assert seg.params() == {"level": 7}
    from celvault.stages.layers import FrameIn

    [out] = seg.segment([FrameIn("f", "e", 0, np.zeros((40, 50, 3), np.uint8))])
    assert out.soft.shape == (40, 50) and int(out.soft.max()) == 7
    with pytest.raises(ConfigError, match=r"stages.segment.grey.level: must be 0-255, got 300"):
        registry.build("segmenter", "grey", {"grey": {"level": 300}})
    rows = {r["name"]: r for r in cli.json("models", "list")}
    assert rows["grey-weights"]["present"] and rows["grey-weights"]["library"] == "celvault-grey"


def test_a_broken_plugin_is_one_error_naming_it(plugin_dir):
    root, dist = plugin_dir
    (root / "celvault_broken.py").write_text("import no_such_library\n")
    (dist / "entry_points.txt").write_text("[celvault.plugins]\nbroken = celvault_broken\n")
    with pytest.raises(registry.PluginError, match=r"plugin 'broken' = celvault_broken \(from celvault-grey\) "
                                                   r"failed to load: ModuleNotFoundError"):
        registry.rediscover()


def test_a_name_declared_twice_is_an_error(plugin_dir):
    root, dist = plugin_dir
    (root / "celvault_grey.py").write_text(
        "from celvault.registry import register\n\n@register('inpainter', 'telea')\nclass Mine:\n    pass\n")
    (dist / "entry_points.txt").write_text("[celvault.plugins]\ngrey = celvault_grey\n")
    with pytest.raises(registry.PluginError, match=r"inpainter 'telea' is declared twice: in "
                                                   r"celvault.stages.backends.telea_inpainter and in celvault_grey"):
        registry.rediscover()


def test_a_stage_without_its_place_in_the_order_is_refused():
    with pytest.raises(registry.PluginError, match=r"stage 'unplaced' .* declares no `order`"):
        registry.register("stage", "unplaced")(type("Unplaced", (), {}))
    assert "unplaced" not in registry.names("stage")
