"""What a captioner is: images in, one caption (a sentence) or one tag list per image out."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa

from .base import Backend


class Captioner(Backend):
    column: ClassVar[str]  # the catalogue column it fills: caption (text) or tags (list)
    arrow_type: ClassVar[pa.DataType]

    model_prefix: ClassVar[str]  # model ids read "<prefix>:<repository>"

    @property
    def repo(self) -> str:
        return self.options.model

    @property
    def model_id(self) -> str:
        return f"{self.model_prefix}:{self.repo}"

    def describe(self, images: list[np.ndarray]) -> list:
        raise NotImplementedError
