"""IS-Net / ISNetDIS (Qin et al., "Highly Accurate Dichotomous Image Segmentation",
ECCV 2022), re-implemented for benchmarking with random weights.

This is the network behind rembg's ``isnet-general-use`` and ``isnet-anime``
ONNX files (~44.0M parameters, 1024x1024 input).

Compared with U^2-Net it has:
  * a plain 3x3 stride-2 stem conv (3 -> 64, no BN), so the RSU stages run at
    S/2 (512x512 for a 1024 input). The reference code also defines a 2x2
    max-pool ``pool_in`` after the stem but never applies it in ``forward``
    (the call is commented out); this module mirrors that: the pool exists
    (parameter-free) and is unused.
  * stage 1 is RSU-7(64, 32, 64) (its input is the 64-channel stem output);
  * no fused 1x1 ``outconv``: the six side outputs are the result, each
    upsampled to the input size; side 1 (finest decoder stage) is the main mask.

``forward`` returns six sigmoid maps [N, 1, S, S], side 1 first (what rembg
reads as ``ort_outs[0]``).
"""

from __future__ import annotations

from typing import List

import torch
import torch.nn as nn

from .u2net import U2NET_FULL_DECODER, U2NET_FULL_ENCODER, count_parameters, make_stage, upsample_like

# IS-Net's stages are U2Net's; only the first takes the 64-channel stem instead of RGB.
ISNET_ENCODER = [("7", 64, 32, 64)] + U2NET_FULL_ENCODER[1:]
ISNET_DECODER = U2NET_FULL_DECODER  # deepest first: stage5d, stage4d, ..., stage1d


class ISNet(nn.Module):
    """ISNetDIS: stride-2 stem + U^2-Net-style RSU encoder/decoder, six side outputs."""

    input_size = 1024

    def __init__(self, in_ch: int = 3, out_ch: int = 1):
        super().__init__()
        self.conv_in = nn.Conv2d(in_ch, 64, 3, stride=2, padding=1)
        self.pool_in = nn.MaxPool2d(2, stride=2, ceil_mode=True)  # defined, unused (as upstream)
        self.encoder = nn.ModuleList([make_stage(*cfg) for cfg in ISNET_ENCODER])
        self.decoder = nn.ModuleList([make_stage(*cfg) for cfg in ISNET_DECODER])
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        side_channels = [cfg[3] for cfg in reversed(ISNET_DECODER)] + [ISNET_ENCODER[-1][3]]
        self.sides = nn.ModuleList([nn.Conv2d(c, out_ch, 3, padding=1) for c in side_channels])

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        hx = self.conv_in(x)
        skips: List[torch.Tensor] = []
        last = len(self.encoder) - 1
        for index, stage in enumerate(self.encoder):
            hx = stage(hx)
            skips.append(hx)
            if index < last:
                hx = self.pool(hx)
        decoded = [hx]  # stage6, stage5d, ..., stage1d
        for index, stage in enumerate(self.decoder):
            skip = skips[last - 1 - index]
            hx = stage(torch.cat((upsample_like(hx, skip), skip), dim=1))
            decoded.append(hx)
        decoded.reverse()  # stage1d, ..., stage5d, stage6
        return [torch.sigmoid(upsample_like(side(feat), x)) for side, feat in zip(self.sides, decoded)]


if __name__ == "__main__":
    net = ISNet().eval()
    print(f"ISNet: {count_parameters(net):,} params")
    with torch.no_grad():
        outs = net(torch.rand(1, 3, 256, 256))
    print(f"{len(outs)} outputs, first {tuple(outs[0].shape)}")
