"""U^2-Net (Qin et al., 2020) re-implemented for benchmarking with random weights.

Two variants, as shipped by rembg:
  * ``U2Net``  -- the full model (~44.0M parameters, the 176 MB ``u2net.onnx``)
  * ``U2NetP`` -- the small model (~1.13M parameters, the 4.7 MB ``u2netp.onnx``)

Both take a [N, 3, 320, 320] image and return seven sigmoid maps
``(fused, side1, ..., side6)``, each [N, 1, H, W]; the fused map comes first,
which is what rembg reads (``ort_outs[0]``).

The building block is the Residual U-block RSU-L: an input conv, a small U-Net
of height L (max-pool down, bilinear up, skip concatenations), and a residual
add. RSU-4F replaces pooling with growing dilation so resolution never changes.

Upsampling goes through ``upsample_like``: it uses an integer ``scale_factor``
when the target is an exact multiple of the source (so the exported ONNX Resize
carries only scales, never a baked-in batch size) and falls back to
``size=`` otherwise.
"""

from __future__ import annotations

from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


def upsample_like(src: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Bilinearly resize ``src`` to the spatial size of ``target``."""
    src_h, src_w = int(src.shape[-2]), int(src.shape[-1])
    dst_h, dst_w = int(target.shape[-2]), int(target.shape[-1])
    if dst_h == src_h and dst_w == src_w:
        return src
    if dst_h % src_h == 0 and dst_w % src_w == 0:
        scale = (float(dst_h // src_h), float(dst_w // src_w))
        return F.interpolate(src, scale_factor=scale, mode="bilinear", align_corners=False)
    return F.interpolate(src, size=(dst_h, dst_w), mode="bilinear", align_corners=False)


class ConvBnRelu(nn.Module):
    """3x3 conv (optionally dilated / strided) + BatchNorm + ReLU ("REBNCONV")."""

    def __init__(self, in_ch: int, out_ch: int, dilation: int = 1, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation)
        self.bn = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.conv(x)))


class RSU(nn.Module):
    """Residual U-block of height ``height`` (RSU-7, RSU-6, RSU-5, RSU-4).

    Encoder: conv_in, then ``height - 1`` convs with a 2x max-pool between the
    first ``height - 2`` of them, then a dilation-2 bottom conv. Decoder: one
    conv per encoder level on [upsampled deeper feature, skip]. Output is
    decoder output + conv_in output.
    """

    def __init__(self, height: int, in_ch: int, mid_ch: int, out_ch: int):
        super().__init__()
        if height < 3:
            raise ValueError("RSU height must be >= 3")
        self.height = height
        self.conv_in = ConvBnRelu(in_ch, out_ch)
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        encoders = [ConvBnRelu(out_ch, mid_ch)]
        encoders += [ConvBnRelu(mid_ch, mid_ch) for _ in range(height - 2)]
        self.encoders = nn.ModuleList(encoders)
        self.bottom = ConvBnRelu(mid_ch, mid_ch, dilation=2)
        # decoders[i] fuses level i (deepest first); the last one maps to out_ch.
        decoders = [ConvBnRelu(mid_ch * 2, mid_ch) for _ in range(height - 2)]
        decoders.append(ConvBnRelu(mid_ch * 2, out_ch))
        self.decoders = nn.ModuleList(decoders)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hx_in = self.conv_in(x)
        skips: List[torch.Tensor] = []
        hx = hx_in
        last = len(self.encoders) - 1
        for level, encoder in enumerate(self.encoders):
            hx = encoder(hx)
            skips.append(hx)
            if level < last:
                hx = self.pool(hx)
        hx = self.bottom(hx)
        for level, decoder in enumerate(self.decoders):
            skip = skips[last - level]
            hx = decoder(torch.cat((upsample_like(hx, skip), skip), dim=1))
        return hx + hx_in


class RSU4F(nn.Module):
    """RSU-4F: the dilated, resolution-preserving RSU used at the deepest stages."""

    def __init__(self, in_ch: int, mid_ch: int, out_ch: int):
        super().__init__()
        self.conv_in = ConvBnRelu(in_ch, out_ch)
        self.enc1 = ConvBnRelu(out_ch, mid_ch, dilation=1)
        self.enc2 = ConvBnRelu(mid_ch, mid_ch, dilation=2)
        self.enc3 = ConvBnRelu(mid_ch, mid_ch, dilation=4)
        self.bottom = ConvBnRelu(mid_ch, mid_ch, dilation=8)
        self.dec3 = ConvBnRelu(mid_ch * 2, mid_ch, dilation=4)
        self.dec2 = ConvBnRelu(mid_ch * 2, mid_ch, dilation=2)
        self.dec1 = ConvBnRelu(mid_ch * 2, out_ch, dilation=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hx_in = self.conv_in(x)
        hx1 = self.enc1(hx_in)
        hx2 = self.enc2(hx1)
        hx3 = self.enc3(hx2)
        hx4 = self.bottom(hx3)
        hx3d = self.dec3(torch.cat((hx4, hx3), dim=1))
        hx2d = self.dec2(torch.cat((hx3d, hx2), dim=1))
        hx1d = self.dec1(torch.cat((hx2d, hx1), dim=1))
        return hx1d + hx_in


def make_stage(kind: str, in_ch: int, mid_ch: int, out_ch: int) -> nn.Module:
    """``kind`` is "7", "6", "5", "4" (RSU-L) or "4F"."""
    if kind == "4F":
        return RSU4F(in_ch, mid_ch, out_ch)
    return RSU(int(kind), in_ch, mid_ch, out_ch)


# (kind, in, mid, out) for the six encoder stages and five decoder stages.
U2NET_FULL_ENCODER = [
    ("7", 3, 32, 64), ("6", 64, 32, 128), ("5", 128, 64, 256),
    ("4", 256, 128, 512), ("4F", 512, 256, 512), ("4F", 512, 256, 512),
]
U2NET_FULL_DECODER = [  # deepest first: stage5d, stage4d, ..., stage1d
    ("4F", 1024, 256, 512), ("4", 1024, 128, 256), ("5", 512, 64, 128),
    ("6", 256, 32, 64), ("7", 128, 16, 64),
]
U2NET_SMALL_ENCODER = [
    ("7", 3, 16, 64), ("6", 64, 16, 64), ("5", 64, 16, 64),
    ("4", 64, 16, 64), ("4F", 64, 16, 64), ("4F", 64, 16, 64),
]
U2NET_SMALL_DECODER = [
    ("4F", 128, 16, 64), ("4", 128, 16, 64), ("5", 128, 16, 64),
    ("6", 128, 16, 64), ("7", 128, 16, 64),
]


class U2NetBase(nn.Module):
    """Six-stage encoder / five-stage decoder of RSU blocks with deep supervision.

    Side output i is a 3x3 conv on decoder stage i (stage 6 uses the encoder
    bottom), upsampled to the input size; the fused output is a 1x1 conv over
    the six concatenated side logits. All seven are returned after sigmoid,
    fused first.
    """

    def __init__(self, encoder_cfg, decoder_cfg, out_ch: int = 1):
        super().__init__()
        self.encoder = nn.ModuleList([make_stage(*cfg) for cfg in encoder_cfg])
        self.decoder = nn.ModuleList([make_stage(*cfg) for cfg in decoder_cfg])
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        # side channels: stage1d..stage5d outputs, then encoder stage6 output
        side_channels = [cfg[3] for cfg in reversed(decoder_cfg)] + [encoder_cfg[-1][3]]
        self.sides = nn.ModuleList([nn.Conv2d(c, out_ch, 3, padding=1) for c in side_channels])
        self.fuse = nn.Conv2d(len(side_channels) * out_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        skips: List[torch.Tensor] = []
        hx = x
        last = len(self.encoder) - 1
        for index, stage in enumerate(self.encoder):
            hx = stage(hx)
            skips.append(hx)
            if index < last:
                hx = self.pool(hx)
        decoded = [hx]  # deepest first: stage6, stage5d, ..., stage1d
        for index, stage in enumerate(self.decoder):
            skip = skips[last - 1 - index]
            hx = stage(torch.cat((upsample_like(hx, skip), skip), dim=1))
            decoded.append(hx)
        decoded.reverse()  # stage1d, ..., stage5d, stage6
        logits = [upsample_like(side(feat), x) for side, feat in zip(self.sides, decoded)]
        fused = self.fuse(torch.cat(logits, dim=1))
        return [torch.sigmoid(fused)] + [torch.sigmoid(d) for d in logits]


class U2Net(U2NetBase):
    """Full U^2-Net (rembg ``u2net``), ~44.0M parameters, 320x320 input."""

    input_size = 320

    def __init__(self, out_ch: int = 1):
        super().__init__(U2NET_FULL_ENCODER, U2NET_FULL_DECODER, out_ch)


class U2NetP(U2NetBase):
    """Small U^2-Net (rembg ``u2netp``), ~1.13M parameters, 320x320 input."""

    input_size = 320

    def __init__(self, out_ch: int = 1):
        super().__init__(U2NET_SMALL_ENCODER, U2NET_SMALL_DECODER, out_ch)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    for cls in (U2Net, U2NetP):
        net = cls().eval()
        with torch.no_grad():
            outs = net(torch.rand(1, 3, 320, 320))
        print(f"{cls.__name__}: {count_parameters(net):,} params, "
              f"{len(outs)} outputs, first {tuple(outs[0].shape)}")
