#!/usr/bin/python3
"""PyTorch CPU peer of the train suite: the same Llama-style model as Cria's @cria/train, timed.

Run by torch-child.ts as a child process; prints one JSON object on stdout. The model is written
here in plain PyTorch (no transformers), to match Cria's architecture exactly:
embedding -> L x [RMSNorm -> q/k/v (no bias) -> RoPE (half split, rotate_half) -> causal attention
(GQA) -> o_proj -> residual -> RMSNorm -> SwiGLU MLP (gate, up, down) -> residual] -> RMSNorm ->
untied lm_head -> mean cross-entropy; AdamW (decoupled weight decay) on every parameter, or for
`--mode lora` on rank-r adapters of q/k/v/o over a frozen base (B = 0 init, as PEFT).

Usage: /usr/bin/python3 torch_train.py '<json config>'  (see torch-child.ts for the fields)
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LoraLinear(nn.Module):
    """y = x W^T + (alpha / r) x A^T B^T, W frozen, A [r, in], B [out, r] (PEFT's lora.Linear, no dropout)."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.base.weight.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv, hd = c["hidden"], c["heads"], c["kvHeads"], c["hidden"] // c["heads"]
        self.h, self.kv, self.hd = h, kv, hd
        self.attention_norm = RMSNorm(d, c["eps"])
        self.q = nn.Linear(d, h * hd, bias=False)
        self.k = nn.Linear(d, kv * hd, bias=False)
        self.v = nn.Linear(d, kv * hd, bias=False)
        self.o = nn.Linear(h * hd, d, bias=False)
        self.ffn_norm = RMSNorm(d, c["eps"])
        self.gate = nn.Linear(d, c["intermediate"], bias=False)
        self.up = nn.Linear(d, c["intermediate"], bias=False)
        self.down = nn.Linear(c["intermediate"], d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        n = self.attention_norm(x)
        q = self.q(n).view(B, T, self.h, self.hd).transpose(1, 2)  # [B, h, T, hd]
        k = self.k(n).view(B, T, self.kv, self.hd).transpose(1, 2)  # [B, kv, T, hd]
        v = self.v(n).view(B, T, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.kv != self.h:
            k = k.repeat_interleave(self.h // self.kv, dim=1)
            v = v.repeat_interleave(self.h // self.kv, dim=1)
        # torch 1.13 has no scaled_dot_product_attention: the T x T scores are materialised.
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.hd) + mask  # [B, h, T, T]
        y = torch.softmax(scores, dim=-1) @ v  # [B, h, T, hd]
        x = x + self.o(y.transpose(1, 2).reshape(B, T, self.h * self.hd))
        n = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(n)) * self.up(n))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"], c["eps"])
        self.head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        for parameter in self.parameters():
            if parameter.dim() >= 2:
                nn.init.normal_(parameter, std=0.02)
        hd = c["hidden"] // c["heads"]
        inverse = 1.0 / (c["ropeTheta"] ** (torch.arange(0, hd, 2).float() / hd))
        angles = torch.outer(torch.arange(c["sequence"]).float(), inverse)
        angles = torch.cat((angles, angles), dim=-1)  # [T, hd]
        self.register_buffer("cos", angles.cos())
        self.register_buffer("sin", angles.sin())
        self.register_buffer("mask", torch.full((c["sequence"], c["sequence"]), float("-inf")).triu(1))

    def forward(self, ids, targets):
        x = self.embed(ids)  # [B, T, C]
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        logits = self.head(self.norm(x))  # [B, T, V]
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def loaded_blas():
    """Which BLAS library the process mapped: torch's config says only BLAS_INFO=generic."""
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path or "mkl" in path:
                names.add(os.path.realpath(path))
    return sorted(names)


def machine_busy_s():
    """CPU seconds all processes spent busy (user + nice + system + irq + softirq), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def main():
    c = json.loads(sys.argv[1])
    torch.manual_seed(c.get("seed", 1))
    torch.set_num_threads(c["threads"])
    model = Llama(c)
    if c["mode"] == "lora":
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        for layer in model.layers:
            for name in ("q", "k", "v", "o"):
                setattr(layer, name, LoraLinear(getattr(layer, name), c["loraRank"], c["loraAlpha"]))
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.dim() >= 2]
    no_decay = [p for p in trainable if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
    generator = torch.Generator().manual_seed(2)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["sequence"]), generator=generator)
    targets = torch.randint(0, c["vocab"], (c["batch"], c["sequence"]), generator=generator)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(ids, targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    # Per step, the cores other processes used (machine busy time less ours), as the suite's
    # machine-load probe measures it: steps taken while others held more than loadedCores are
    # timed again, up to `steps`, so that minSteps clean ones exist when the machine allows.
    times, losses, loads = [], [], []
    started = time.perf_counter()
    for _ in range(c["warmupSteps"]):
        losses.append(step())
    warmup_ms = (time.perf_counter() - started) * 1000
    timed_started = time.perf_counter()
    while len(times) < c["steps"]:
        if len(times) >= c["minSteps"]:
            if sum(1 for load in loads if load <= c["loadedCores"]) >= c["minSteps"]:
                break
            # Stop once the time cap would be overrun by another step.
            if (time.perf_counter() - timed_started) * 1000 + times[-1] > c["capMs"]:
                break
        busy, own, begin = machine_busy_s(), time.process_time(), time.perf_counter()
        losses.append(step())
        wall = time.perf_counter() - begin
        times.append(wall * 1000)
        after_busy = machine_busy_s()
        others = (after_busy - busy - (time.process_time() - own)) / wall if busy is not None and after_busy is not None else 0.0
        loads.append(round(max(0.0, others), 2))
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": loaded_blas(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "cpu_capability": next((line.split(":")[1].strip() for line in torch.__config__.show().splitlines() if "CPU capability usage" in line), None),
        "params": sum(p.numel() for p in model.parameters()),
        "trainable_params": sum(p.numel() for p in trainable),
        "warmup_ms": warmup_ms,
        "step_ms": times,
        "other_cores": loads,
        "losses": losses,
        "cpu_ms": time.process_time() * 1000,  # the whole process, imports included
    }))


if __name__ == "__main__":
    main()
