"""Images: how frames and layers are stored (PNG bytes), decoded, shown on white, and laid
out in contact sheets. Stages, queries and exporters all go through here."""

from .codec import decode_frame, decode_png, on_white, png, to_pil, union_mask

__all__ = ["decode_frame", "decode_png", "on_white", "png", "to_pil", "union_mask"]
