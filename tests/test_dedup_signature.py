"""The fast signature path gives the hashes imagehash gives on the full frame."""

import cv2
import imagehash
import numpy as np
from PIL import Image

from celvault.stages.dedup import frame_signature
from celvault.synthetic import EpisodeSpec, make_episode, render_frame


def test_signature_matches_imagehash_on_full_frames(tmp_path):
    spec = EpisodeSpec(seed=4, width=1280, height=720, fps=6.0, duration_s=12.0)
    truth = make_episode(tmp_path / "e.mp4", spec)
    dist_p, dist_d = [], []
    for i in range(0, truth.n_frames, 7):
        rgb = render_frame(spec, truth, i).rgb
        ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        ph, dh, sharp = frame_signature(png.tobytes(), f"f{i}")
        gray = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
        full_p = imagehash.phash(Image.fromarray(gray))
        full_d = imagehash.dhash(Image.fromarray(gray))
        to_int = lambda h: int.from_bytes(np.packbits(h.hash.ravel()).tobytes(), "big")
        dist_p.append(bin(ph ^ to_int(full_p)).count("1"))
        dist_d.append(bin(dh ^ to_int(full_d)).count("1"))
        assert abs(sharp - cv2.Laplacian(gray, cv2.CV_64F).var()) <= 1e-3 * max(1.0, sharp)
    assert np.mean(dist_p) <= 0.5 and max(dist_p) <= 2  # well inside the radius of 6
    assert np.mean(dist_d) <= 0.5 and max(dist_d) <= 2
