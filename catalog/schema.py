"""Arrow schemas of the catalogue tables (base columns; stages add their outputs as null columns)."""

from __future__ import annotations

import pyarrow as pa

EPISODES = pa.schema(
    [
        pa.field("episode_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("series", pa.string()),
        pa.field("source_path", pa.string()),
        pa.field("source_kind", pa.string()),  # video | frames
        pa.field("source_sha256", pa.string()),
        pa.field("fps", pa.float64()),
        pa.field("duration_s", pa.float64()),
        pa.field("frame_count", pa.int64()),  # decoded (or listed) frames
        pa.field("frames_kept", pa.int64()),
        pa.field("shots", pa.int32()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("ingest_params", pa.string()),  # JSON
        pa.field("ingested_at", pa.string()),  # ISO time: data, never an id
    ]
)

FRAMES = pa.schema(
    [
        pa.field("frame_id", pa.string(), nullable=False),
        pa.field("episode_id", pa.string()),
        pa.field("shot_index", pa.int32()),
        pa.field("frame_index", pa.int64()),
        pa.field("time_s", pa.float64()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
    ]
)

FRAME_MEDIA = pa.schema(
    [
        pa.field("frame_id", pa.string(), nullable=False),
        pa.field("episode_id", pa.string()),
        pa.field("format", pa.string()),  # png | webp | jpg (folder frames keep their bytes)
        pa.field("data", pa.large_binary()),
    ]
)

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("stage", pa.string()),
        pa.field("stage_version", pa.int32()),
        pa.field("backend", pa.string()),
        pa.field("params", pa.string()),  # JSON
        pa.field("weights_sha", pa.string()),
        pa.field("config_id", pa.string()),
        pa.field("rows_done", pa.int64()),
        pa.field("fragments_done", pa.int32()),
        pa.field("started", pa.string()),
        pa.field("finished", pa.string()),
        pa.field("status", pa.string()),  # finished | nothing-to-do
    ]
)

LAYERS = pa.schema(
    [
        pa.field("layer_id", pa.string(), nullable=False),  # <frame_id>-<kind><instance:02d>
        pa.field("frame_id", pa.string()),
        pa.field("episode_id", pa.string()),
        pa.field("shot_index", pa.int32()),
        pa.field("kind", pa.string()),  # character | background | effect
        pa.field("instance", pa.int32()),  # left to right within the frame
        pa.field("bbox", pa.list_(pa.int32(), 4)),  # x0, y0, x1, y1 (exclusive) in frame pixels
        pa.field("area", pa.int64()),  # mask pixels
        pa.field("frame_width", pa.int32()),
        pa.field("frame_height", pa.int32()),
        pa.field("method", pa.string()),  # backend that made it (plate, isnet-anime, sam2, lama, ...)
        pa.field("made_by", pa.string()),  # config id of the stage run that made it
        pa.field("effect", pa.string()),  # effect layers: the vocabulary's name (sparkles, speed lines, ...)
        pa.field("prompt", pa.string()),  # effect layers: the prompt (or rule) that found it
        pa.field("score", pa.float32()),  # effect layers: mean probability over its mask
    ]
)

LAYER_MEDIA = pa.schema(
    [
        pa.field("layer_id", pa.string(), nullable=False),
        pa.field("frame_id", pa.string()),
        pa.field("episode_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("format", pa.string()),  # png
        pa.field("data", pa.large_binary()),  # character: RGBA cut-out of the bbox; background: RGB frame
        pa.field("mask", pa.large_binary()),  # binary mask PNG (0/255), same extent as data
    ]
)

TABLES: dict[str, pa.Schema] = {
    "episodes": EPISODES,
    "frames": FRAMES,
    "frame_media": FRAME_MEDIA,
    "runs": RUNS,
    "layers": LAYERS,
    "layer_media": LAYER_MEDIA,
}

KEYS = {"episodes": "episode_id", "frames": "frame_id", "frame_media": "frame_id", "runs": "run_id",
        "layers": "layer_id", "layer_media": "layer_id", "characters": "cluster_id"}
