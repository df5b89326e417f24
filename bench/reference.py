#!/usr/bin/env python3
"""Python reference for wgan's benchmarks: the same WGAN-GP iteration in PyTorch.

Same networks as wgan's --arch dcgan / seed (channel rule, layer-norm critic as GroupNorm(1, C),
DCGAN init) or --arch resnet (the WGAN-GP paper's residual networks, no critic normalisation,
PyTorch's default init), same loss (penalty per sample with create_graph), Adam(1e-4, 0, 0.9), n_critic 5,
an EMA of the generator, and the losses read once per step, as wgan does.
Prints one JSON line: {"images_per_s": critic images per second, ...}.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn


def level_channels(width, levels, level):
    return width * min(2 ** (levels - 1 - level), 8)


def make_generator(res, ch, latent, width):
    levels = int(math.log2(res)) - 2
    layers, c_in = [], latent
    for level in range(levels):
        c_out = level_channels(width, levels, level)
        stride, pad = (1, 0) if level == 0 else (2, 1)
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride, pad, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        c_in = c_out
    layers += [nn.ConvTranspose2d(c_in, ch, 4, 2, 1, bias=True), nn.Tanh()]
    return nn.Sequential(*layers)


class LayerNorm2d(nn.GroupNorm):
    """GroupNorm(1, C) computed in float32: CPU autocast (torch 1.13) has no rule for group_norm."""

    def __init__(self, channels):
        super().__init__(1, channels)

    def forward(self, x):
        return super().forward(x.float())


def make_critic(res, ch, width):
    levels = int(math.log2(res)) - 2
    layers, c_in = [], ch
    for i, level in enumerate(range(levels - 1, -1, -1)):
        c_out = level_channels(width, levels, level)
        layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=(i == 0)))
        if i > 0:
            layers.append(LayerNorm2d(c_out))
        layers.append(nn.LeakyReLU(0.2))
        c_in = c_out
    layers.append(nn.Conv2d(c_in, 1, 4, 1, 0))
    return nn.Sequential(*layers)


class UpBlock(nn.Module):
    """wgan's resnet generator block: BN, ReLU, nearest 2x, 3x3 conv, BN, ReLU, 3x3 conv; 2x + 1x1 shortcut."""

    def __init__(self, width):
        super().__init__()
        self.norm1, self.norm2 = nn.BatchNorm2d(width), nn.BatchNorm2d(width)
        self.conv1, self.conv2 = nn.Conv2d(width, width, 3, padding=1), nn.Conv2d(width, width, 3, padding=1)
        self.shortcut = nn.Conv2d(width, width, 1)

    def forward(self, x):
        up = lambda t: nn.functional.interpolate(t, scale_factor=2, mode="nearest")
        h = self.conv1(up(torch.relu(self.norm1(x))))
        h = self.conv2(torch.relu(self.norm2(h)))
        return self.shortcut(up(x)) + h


class ResnetGenerator(nn.Module):
    def __init__(self, res, ch, latent, width):
        super().__init__()
        self.width = width
        self.input = nn.Linear(latent, width * 16)
        self.blocks = nn.Sequential(*[UpBlock(width) for _ in range(int(math.log2(res)) - 2)])
        self.output_norm = nn.BatchNorm2d(width)
        self.output_conv = nn.Conv2d(width, ch, 3, padding=1)

    def forward(self, z):
        x = self.blocks(self.input(z.flatten(1)).view(-1, self.width, 4, 4))
        return torch.tanh(self.output_conv(torch.relu(self.output_norm(x))))


class DownBlock(nn.Module):
    """wgan's resnet critic block (no normalisation): [ReLU] 3x3 conv, ReLU, 3x3 conv, [mean pool]; shortcut."""

    def __init__(self, c_in, c_out, downsample, first):
        super().__init__()
        self.downsample, self.first = downsample, first
        self.conv1 = nn.Conv2d(c_in, c_out if first else c_in, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out if first else c_in, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1) if downsample or c_in != c_out else None

    def forward(self, x):
        h = self.conv2(torch.relu(self.conv1(x if self.first else torch.relu(x))))
        if self.downsample:
            h = nn.functional.avg_pool2d(h, 2)
        skip = nn.functional.avg_pool2d(x, 2) if self.downsample else x
        return (self.shortcut(skip) if self.shortcut is not None else skip) + h


class ResnetCritic(nn.Module):
    def __init__(self, res, ch, width):
        super().__init__()
        blocks = [DownBlock(ch, width, True, True)]
        side = res // 2
        while side > 8:
            blocks.append(DownBlock(width, width, True, False))
            side //= 2
        blocks += [DownBlock(width, width, False, False), DownBlock(width, width, False, False)]
        self.blocks = nn.Sequential(*blocks)
        self.output = nn.Linear(width, 1)

    def forward(self, x):
        return self.output(torch.relu(self.blocks(x)).mean((2, 3)))


def dcgan_init(module):
    for m in module.modules():
        name = type(m).__name__
        if "Conv" in name:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif "Norm" in name:
            nn.init.normal_(m.weight, 1.0, 0.02)
        if ("Conv" in name or "Norm" in name) and getattr(m, "bias", None) is not None:
            nn.init.zeros_(m.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--arch", default="dcgan", choices=["dcgan", "resnet"])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--latent", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--sync-every", type=int, default=1,
                   help="read the losses every N iterations (1 = every step, as blog scripts do; 0 = never)")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                   help="bf16: the networks under torch.autocast, penalty and losses in float32")
    p.add_argument("--channels-last", action="store_true", help="NHWC memory for the networks and batches")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(1)
    if a.arch == "resnet":
        new_generator = lambda: ResnetGenerator(a.resolution, a.channels, a.latent, a.width)
        G, D = new_generator(), ResnetCritic(a.resolution, a.channels, a.width)
    else:
        new_generator = lambda: make_generator(a.resolution, a.channels, a.latent, a.width)
        G, D = new_generator(), make_critic(a.resolution, a.channels, a.width)
        dcgan_init(G)
        dcgan_init(D)
    G_ema = new_generator()
    G_ema.load_state_dict(G.state_dict())
    G, D, G_ema = G.to(dev), D.to(dev), G_ema.to(dev).eval().requires_grad_(False)
    memory = torch.channels_last if a.channels_last else torch.contiguous_format
    G, D, G_ema = G.to(memory_format=memory), D.to(memory_format=memory), G_ema.to(memory_format=memory)
    opt_g = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.0, 0.9))
    data = torch.randint(0, 256, (a.batch * 8, a.channels, a.resolution, a.resolution), dtype=torch.uint8)
    B = a.batch
    cursor = [0]
    bf16 = a.precision == "bf16"

    def cast():
        return torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16)

    def d_score(x):
        with cast():
            return D(x).float()

    def g_images(z):
        with cast():
            return G(z).float()

    read = a.sync_every > 0 and (lambda: cursor[0] % a.sync_every == 0)

    def step():
        for _ in range(a.n_critic):
            idx = torch.randint(0, data.shape[0], (B,))
            real = (data[idx].to(dev).float() * (2 / 255) - 1).contiguous(memory_format=memory)
            with torch.no_grad():
                fake = g_images(torch.randn(B, a.latent, 1, 1, device=dev))
            alpha = torch.rand(B, 1, 1, 1, device=dev)
            x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            grad = torch.autograd.grad(d_score(x_hat).sum(), x_hat, create_graph=True)[0]
            gp = 10 * ((grad.reshape(B, -1).pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
            real_score, fake_score = d_score(real).mean(), d_score(fake).mean()
            loss = fake_score - real_score + gp
            opt_d.zero_grad()
            loss.backward()
            if read and read():
                loss.item()
                gp.item()
            opt_d.step()
        D.requires_grad_(False)
        g_loss = -d_score(g_images(torch.randn(B, a.latent, 1, 1, device=dev))).mean()
        opt_g.zero_grad()
        g_loss.backward()
        D.requires_grad_(True)
        if read and read():
            g_loss.item()
        opt_g.step()
        with torch.no_grad():
            for pe, p in zip(G_ema.parameters(), G.parameters()):
                pe.copy_(p.lerp(pe, 0.999))
            for be, b in zip(G_ema.buffers(), G.buffers()):
                be.copy_(b)
        cursor[0] += 1

    for _ in range(a.warmup):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    print(json.dumps({"system": "python", "torch": torch.__version__, "device": str(dev),
                      "precision": a.precision, "channels_last": a.channels_last, "sync_every": a.sync_every,
                      "images_per_s": a.steps * a.n_critic * B / seconds, "seconds": seconds,
                      "steps": a.steps}))


if __name__ == "__main__":
    main()
