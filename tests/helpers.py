"""Reading a test catalogue back."""

from __future__ import annotations

import cv2
import numpy as np

from celvault.catalog import Catalog


def table(cli, name, where=None, columns=None):
    return Catalog.open(cli.catalog).read(name, columns, where).to_pylist()


def version(cli, name):
    return Catalog.open(cli.catalog).dataset(name).version


def frames_of(cli, episode_id):
    rows = table(cli, "frames", f"episode_id = '{episode_id}'")
    return sorted(rows, key=lambda r: r["frame_index"])


def decode(data: bytes) -> np.ndarray:
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
