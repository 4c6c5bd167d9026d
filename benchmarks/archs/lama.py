"""LaMa "big-lama" generator (Suvorov et al., "Resolution-robust Large Mask
Inpainting with Fourier Convolutions", WACV 2022), re-implemented for
benchmarking with random weights.

Layout of the big-lama FFC-ResNet generator (~51M parameters):
  reflect-pad 3 + 7x7 conv (4 -> 64) + BN + ReLU
  3 x [3x3 stride-2 conv + BN + ReLU]  64 -> 128 -> 256 -> 512; the last one
      already splits its output into local (128 ch) and global (384 ch) parts
  18 x FFC resnet block at H/8 (512 ch, global ratio 0.75): two FFC+BN+ReLU
      layers, each with local->local, local->global, global->local 3x3 convs
      (reflect padding) and a global->global SpectralTransform whose core is a
      FourierUnit (rfft2 -> 1x1 conv on stacked real/imag -> BN -> ReLU -> irfft2)
  concat local+global
  3 x [ConvTranspose 3x3 stride 2 + BN + ReLU]  512 -> 256 -> 128 -> 64
  reflect-pad 3 + 7x7 conv (64 -> 3) + sigmoid

``BigLamaInpainter`` wraps it the way the TorchScript ``big-lama.pt`` that
simple-lama-inpainting loads does: ``forward(image, mask)`` with image
[N,3,H,W] in 0..1 and mask [N,1,H,W] (any dtype, >0 = hole), H and W multiples
of 8, returns ``image * (1 - mask) + prediction * mask``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Tuple

import torch
import torch.nn as nn

FeaturePair = Tuple[torch.Tensor, torch.Tensor]  # (local, global); an empty tensor = absent


class FourierUnit(nn.Module):
    """Global mixing in the frequency domain: rfft2 -> 1x1 conv -> BN -> ReLU -> irfft2."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch * 2, out_ch * 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch * 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        spectrum = torch.fft.rfftn(x.float(), dim=(-2, -1), norm="ortho")
        # [N, C, H, W/2+1] complex -> [N, 2C, H, W/2+1] real (per channel: re, im)
        stacked = torch.stack((spectrum.real, spectrum.imag), dim=2)
        stacked = stacked.reshape(batch, -1, stacked.shape[-2], stacked.shape[-1])
        stacked = self.relu(self.bn(self.conv(stacked)))
        stacked = stacked.reshape(batch, -1, 2, stacked.shape[-2], stacked.shape[-1])
        spectrum = torch.complex(stacked[:, :, 0], stacked[:, :, 1])
        return torch.fft.irfftn(spectrum, s=(height, width), dim=(-2, -1), norm="ortho")


class SpectralTransform(nn.Module):
    """Global->global branch: 1x1 reduce -> FourierUnit (+ residual) -> 1x1 expand."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        half = out_ch // 2
        self.reduce = nn.Sequential(
            nn.Conv2d(in_ch, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True)
        )
        self.fourier = FourierUnit(half, half)
        self.expand = nn.Conv2d(half, out_ch, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(x)
        return self.expand(x + self.fourier(x))


class FFCConvBnAct(nn.Module):
    """Fast Fourier Convolution + BN + ReLU on (local, global) channel groups.

    ``ratio_in`` / ``ratio_out`` give the global share of input / output channels;
    with both 0 this is an ordinary conv + BN + ReLU on the local part.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, ratio_in: float,
                 ratio_out: float, stride: int = 1, padding: int = 0,
                 padding_mode: str = "reflect"):
        super().__init__()
        in_g = int(in_ch * ratio_in)
        in_l = in_ch - in_g
        out_g = int(out_ch * ratio_out)
        out_l = out_ch - out_g
        self.has_local_in, self.has_global_in = in_l > 0, in_g > 0
        self.has_local_out, self.has_global_out = out_l > 0, out_g > 0

        def conv(cin: int, cout: int) -> nn.Module:
            if cin == 0 or cout == 0:
                return nn.Identity()
            return nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding,
                             bias=False, padding_mode=padding_mode)

        self.local_to_local = conv(in_l, out_l)
        self.local_to_global = conv(in_l, out_g)
        self.global_to_local = conv(in_g, out_l)
        if in_g > 0 and out_g > 0:
            if stride != 1:
                raise ValueError("strided spectral transform is not used by big-lama")
            self.global_to_global = SpectralTransform(in_g, out_g)
        else:
            self.global_to_global = nn.Identity()
        self.bn_local = nn.BatchNorm2d(out_l) if out_l > 0 else nn.Identity()
        self.bn_global = nn.BatchNorm2d(out_g) if out_g > 0 else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: FeaturePair) -> FeaturePair:
        x_local, x_global = x
        out_local = torch.zeros(0)
        out_global = torch.zeros(0)
        if self.has_local_out:
            out_local = self.local_to_local(x_local)
            if self.has_global_in:
                out_local = out_local + self.global_to_local(x_global)
            out_local = self.act(self.bn_local(out_local))
        if self.has_global_out:
            out_global = self.local_to_global(x_local)
            if self.has_global_in:
                out_global = out_global + self.global_to_global(x_global)
            out_global = self.act(self.bn_global(out_global))
        return out_local, out_global


class FFCResnetBlock(nn.Module):
    def __init__(self, channels: int, ratio: float):
        super().__init__()
        self.conv1 = FFCConvBnAct(channels, channels, 3, ratio, ratio, padding=1)
        self.conv2 = FFCConvBnAct(channels, channels, 3, ratio, ratio, padding=1)

    def forward(self, x: FeaturePair) -> FeaturePair:
        x_local, x_global = x
        y_local, y_global = self.conv2(self.conv1((x_local, x_global)))
        return x_local + y_local, x_global + y_global


class FFCResNetGenerator(nn.Module):
    """big-lama generator: 4-channel (masked RGB + mask) in, 3-channel 0..1 out."""

    def __init__(self, in_ch: int = 4, out_ch: int = 3, base: int = 64,
                 n_downsampling: int = 3, n_blocks: int = 18, global_ratio: float = 0.75):
        super().__init__()
        self.stem_pad = nn.ReflectionPad2d(3)
        self.stem = FFCConvBnAct(in_ch, base, 7, 0.0, 0.0, padding=0)
        downs = []
        for i in range(n_downsampling):
            ratio_out = global_ratio if i == n_downsampling - 1 else 0.0
            downs.append(FFCConvBnAct(base * 2 ** i, base * 2 ** (i + 1), 3, 0.0, ratio_out,
                                      stride=2, padding=1))
        self.downsample = nn.ModuleList(downs)
        width = base * 2 ** n_downsampling
        self.blocks = nn.ModuleList([FFCResnetBlock(width, global_ratio) for _ in range(n_blocks)])
        ups = []
        for i in range(n_downsampling):
            cin = base * 2 ** (n_downsampling - i)
            ups += [nn.ConvTranspose2d(cin, cin // 2, 3, stride=2, padding=1, output_padding=1),
                    nn.BatchNorm2d(cin // 2), nn.ReLU(inplace=True)]
        self.upsample = nn.Sequential(*ups)
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(base, out_ch, 7), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pair: FeaturePair = self.stem((self.stem_pad(x), torch.zeros(0)))
        for down in self.downsample:
            pair = down(pair)
        for block in self.blocks:
            pair = block(pair)
        features = torch.cat([pair[0], pair[1]], dim=1)
        return self.head(self.upsample(features))


class BigLamaInpainter(nn.Module):
    """(image, mask) -> composited inpainting, the interface of big-lama.pt."""

    def __init__(self):
        super().__init__()
        self.generator = FFCResNetGenerator()

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = (mask > 0).to(image.dtype)
        masked = image * (1 - mask)
        predicted = self.generator(torch.cat((masked, mask), dim=1))
        return image * (1 - mask) + predicted * mask


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_big_lama(seed: int = 0) -> BigLamaInpainter:
    torch.manual_seed(seed)
    return BigLamaInpainter().eval()


def lama_torchscript(path: Path, seed: int = 0) -> Path:
    """Script the random-weight big-lama and save it where SimpleLama can load it
    (``LAMA_MODEL=path``). Scripted, so any H, W (multiples of 8) work."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scripted = torch.jit.script(build_big_lama(seed))
    torch.jit.save(scripted, str(path))
    return path


if __name__ == "__main__":
    import tempfile
    import time

    import numpy as np
    from PIL import Image

    model = build_big_lama()
    print(f"big-lama generator: {count_parameters(model):,} params")
    with tempfile.TemporaryDirectory() as tmp:
        pt = lama_torchscript(Path(tmp) / "big-lama.pt")
        print(f"saved {pt} ({pt.stat().st_size / 1e6:.1f} MB)")
        os.environ["LAMA_MODEL"] = str(pt)
        from simple_lama_inpainting import SimpleLama

        lama = SimpleLama(device=torch.device("cpu"))
        rng = np.random.default_rng(0)
        image = Image.fromarray(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8))
        hole = np.zeros((720, 1280), dtype=np.uint8)
        hole[200:400, 300:700] = 255
        mask = Image.fromarray(hole)
        for i in range(2):
            t0 = time.perf_counter()
            result = lama(image, mask)
            print(f"call {i}: {time.perf_counter() - t0:.2f} s -> {result.size} {result.mode}")
