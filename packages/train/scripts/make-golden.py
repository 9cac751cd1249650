#!/usr/bin/env python3
"""Writes packages/train/fixtures/golden-{llama,qwen2-tied}.safetensors: the golden runs Cria's training is checked against.

A tiny Llama-family model written out in plain PyTorch (no transformers library) with Hugging Face
Llama semantics: RMSNorm (eps inside the rsqrt), RoPE in the `rotate_half` layout, grouped-query
attention (query head h reads kv head h // (H / KV), as `repeat_kv` does), SwiGLU MLP; the
"llama" variant has an untied head, "qwen2-tied" adds q/k/v biases and ties the head to the embedding.
One row of the batch packs two samples (block-diagonal causal mask, positions restarting), and some
targets are -100 (ignored, as prompt tokens are in completion-only training).

Everything runs in float64, so the fixture holds the exact values Cria's float32 should approach.
The fixture stores: the weights, the batch, the logits, the loss, every parameter gradient, then
the losses and grad norms of 10 AdamW steps (warmup + cosine schedule, no decay on 1-D parameters,
global-norm clipping, 2 micro-batches of gradient accumulation) and the final weights.

fixtures/golden-lora.safetensors holds one LoRA step on the "llama" base (its weights, frozen):
adapters on all seven linear layers (q/k/v/o/gate/up/down), rank 4, alpha 8, no dropout, written
in plain PyTorch as PEFT computes them: y = x W^T + (alpha / r) * (x A^T) B^T. A is initialised as
PEFT does (kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in))); B is drawn N(0, 0.1^2)
instead of PEFT's zeros so that both A's and B's gradients are non-zero. It stores the adapters, the
logits, the loss, the gradients of every A and B, and A and B after one AdamW step (lr 1e-2,
weight decay 0.1, clipping at 1).

Regenerate (needs Debian's python3-torch; CI never runs this, it reads the committed fixture):
    apt-get install -y python3-torch
    /usr/bin/python3 packages/train/scripts/make-golden.py   (the system Python that has python3-torch)
    /usr/bin/python3 packages/train/scripts/make-golden.py lora   (only some fixtures: llama, qwen2-tied, lora)
"""
import json
import math
import os
import struct

import torch

MAGIC = "cria-train-golden"
VERSION = 1

# Two variants: Llama (untied head) and Qwen2 (q/k/v biases, head tied to the embedding).
VARIANTS = {
    "llama": dict(
        architectures=["LlamaForCausalLM"],
        vocab_size=48, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False,
    ),
    "qwen2-tied": dict(
        architectures=["Qwen2ForCausalLM"],
        vocab_size=48, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=True,
    ),
}
CONFIG = VARIANTS["llama"]
TRAINING = dict(
    learning_rate=1e-2, betas=[0.9, 0.95], eps=1e-8, weight_decay=0.1, max_grad_norm=1.0,
    warmup_steps=3, total_steps=10, schedule="cosine", micro_batches=2,
)
SEED = 1234


def make_weights(generator):
    c = CONFIG
    C, I, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    D = C // c["num_attention_heads"]
    kv_rows = c["num_key_value_heads"] * D
    # std 0.1 rather than HF's 0.02 so attention is far from uniform; norms near (not at) 1 so their gradients show.
    normal = lambda *shape, std=0.1: torch.randn(*shape, generator=generator, dtype=torch.float64) * std
    weights = {"model.embed_tokens.weight": normal(V, C)}
    for layer in range(c["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        weights[prefix + "input_layernorm.weight"] = 1 + normal(C)
        weights[prefix + "self_attn.q_proj.weight"] = normal(C, C)
        weights[prefix + "self_attn.k_proj.weight"] = normal(kv_rows, C)
        weights[prefix + "self_attn.v_proj.weight"] = normal(kv_rows, C)
        if c["architectures"][0] == "Qwen2ForCausalLM":
            weights[prefix + "self_attn.q_proj.bias"] = normal(C)
            weights[prefix + "self_attn.k_proj.bias"] = normal(kv_rows)
            weights[prefix + "self_attn.v_proj.bias"] = normal(kv_rows)
        weights[prefix + "self_attn.o_proj.weight"] = normal(C, C)
        weights[prefix + "post_attention_layernorm.weight"] = 1 + normal(C)
        weights[prefix + "mlp.gate_proj.weight"] = normal(I, C)
        weights[prefix + "mlp.up_proj.weight"] = normal(I, C)
        weights[prefix + "mlp.down_proj.weight"] = normal(C, I)
    weights["model.norm.weight"] = 1 + normal(C)
    if not c["tie_word_embeddings"]:
        weights["lm_head.weight"] = normal(V, C)
    return {name: tensor.requires_grad_(True) for name, tensor in weights.items()}


def rmsnorm(x, weight):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + CONFIG["rms_norm_eps"]))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, positions):  # x [B, heads, T, D], positions [B, T]
    D = x.shape[-1]
    inverse_frequencies = 1.0 / (CONFIG["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    angles = positions[:, :, None].double() * inverse_frequencies  # [B, T, D/2]
    angles = torch.cat((angles, angles), dim=-1)[:, None]  # [B, 1, T, D]
    return x * angles.cos() + rotate_half(x) * angles.sin()


def forward(w, ids, positions, segments):
    c = CONFIG
    B, T = ids.shape
    H, KV = c["num_attention_heads"], c["num_key_value_heads"]
    D = c["hidden_size"] // H
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    mask = causal[None] & (segments[:, :, None] == segments[:, None, :])  # [B, T, T]: block-diagonal causal
    x = w["model.embed_tokens.weight"][ids]  # [B, T, C]
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rmsnorm(x, w[p + "input_layernorm.weight"])
        q = linear(h, w, p + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
        k = linear(h, w, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)  # [B, KV, T, D]
        v = linear(h, w, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q, k = rope(q, positions), rope(k, positions)
        k = k.repeat_interleave(H // KV, dim=1)  # repeat_kv: query head h reads kv head h // (H / KV)
        v = v.repeat_interleave(H // KV, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(D)  # [B, H, T, T]
        scores = scores.masked_fill(~mask[:, None], float("-inf"))
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * D)
        x = x + linear(attended, w, p + "self_attn.o_proj")
        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"])
        gate = linear(h, w, p + "mlp.gate_proj")
        up = linear(h, w, p + "mlp.up_proj")
        x = x + linear(torch.nn.functional.silu(gate) * up, w, p + "mlp.down_proj")
    x = rmsnorm(x, w["model.norm.weight"])
    head = w["model.embed_tokens.weight"] if c["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T  # [B, T, V]


LORA = dict(rank=4, alpha=8.0, dropout=0.0, targets=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])


def linear(x, w, name):
    bias = w.get(name + ".bias")
    y = x @ w[name + ".weight"].T + (0 if bias is None else bias)
    a = w.get(name + ".lora_A.weight")
    if a is not None:  # PEFT's lora.Linear.forward with dropout 0: result + lora_B(lora_A(x)) * scaling
        y = y + (x @ a.T) @ w[name + ".lora_B.weight"].T * (LORA["alpha"] / LORA["rank"])
    return y


def loss_of(logits, targets):
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


def make_batch(generator):
    B, T, V = 2, 16, CONFIG["vocab_size"]
    tokens = torch.randint(0, V, (B, T + 1), generator=generator)
    ids = tokens[:, :T].clone()
    targets = tokens[:, 1:].clone()
    positions = torch.arange(T).repeat(B, 1)
    segments = torch.zeros(B, T, dtype=torch.long)
    targets[0, :4] = -100  # a prompt: no loss on it
    targets[0, T - 1] = -100
    # Row 1 packs two samples of 7 and 9 tokens: positions restart, and the boundary predicts nothing.
    segments[1, 7:] = 1
    positions[1, 7:] = torch.arange(T - 7)
    targets[1, 6] = -100
    targets[1, 7:9] = -100
    return ids, targets, positions, segments


def schedule(step):  # transformers.get_cosine_schedule_with_warmup's lr_lambda
    warmup, total = TRAINING["warmup_steps"], TRAINING["total_steps"]
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 2.0 * 0.5 * progress)))


def write_safetensors(path, tensors, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


def main(variant):
    global CONFIG
    CONFIG = VARIANTS[variant]
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    weights = make_weights(generator)
    ids, targets, positions, segments = make_batch(generator)
    tensors = {"weights." + name: tensor.detach().clone() for name, tensor in weights.items()}

    logits = forward(weights, ids, positions, segments)
    loss = loss_of(logits, targets)
    loss.backward()
    tensors["logits"] = logits.detach().reshape(-1, CONFIG["vocab_size"])
    for name, tensor in weights.items():
        tensors["grads." + name] = tensor.grad.detach().clone()
        tensor.grad = None

    decay = [t for t in weights.values() if t.dim() >= 2]  # HF: no weight decay on biases and norm weights
    no_decay = [t for t in weights.values() if t.dim() < 2]
    t = TRAINING
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": t["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=t["learning_rate"], betas=tuple(t["betas"]), eps=t["eps"],
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    losses, grad_norms, learning_rates = [], [], []
    for _ in range(t["total_steps"]):
        optimizer.zero_grad()
        step_loss = 0.0
        for row in range(t["micro_batches"]):  # one batch row per micro-batch, each loss scaled by 1 / micro-batches
            part = slice(row, row + 1)
            micro = loss_of(forward(weights, ids[part], positions[part], segments[part]), targets[part]) / t["micro_batches"]
            micro.backward()
            step_loss += micro.item()
        grad_norms.append(torch.nn.utils.clip_grad_norm_(list(weights.values()), t["max_grad_norm"]).item())
        learning_rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        losses.append(step_loss)
    for name, tensor in weights.items():
        tensors["final." + name] = tensor.detach().clone()

    metadata = {
        "magic": MAGIC,
        "version": str(VERSION),
        "generator": "packages/train/scripts/make-golden.py, torch " + torch.__version__ + ", float64",
        "config": json.dumps(CONFIG),
        "training": json.dumps(TRAINING),
        "batch": json.dumps({"ids": ids.tolist(), "targets": targets.tolist(), "positions": positions.tolist(), "segments": segments.tolist()}),
        "loss": repr(loss.item()),
        "losses": json.dumps(losses),
        "grad_norms": json.dumps(grad_norms),
        "learning_rates": json.dumps(learning_rates),
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", f"golden-{variant}.safetensors")
    write_safetensors(out, tensors, metadata)
    print(f"wrote {os.path.normpath(out)}: {os.path.getsize(out)} bytes, loss {loss.item():.6f}, step losses {[round(x, 5) for x in losses]}")


def main_lora():
    global CONFIG
    CONFIG = VARIANTS["llama"]
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    base = {name: tensor.detach() for name, tensor in make_weights(generator).items()}  # frozen
    ids, targets, positions, segments = make_batch(generator)
    lora_generator = torch.Generator().manual_seed(SEED + 1)
    adapters = {}
    for layer in range(CONFIG["num_hidden_layers"]):
        for module in LORA["targets"]:
            name = f"model.layers.{layer}.{'mlp' if module in ('gate_proj', 'up_proj', 'down_proj') else 'self_attn'}.{module}"
            out_features, in_features = base[name + ".weight"].shape
            bound = 1 / math.sqrt(in_features)  # kaiming_uniform_(a=sqrt(5)) on [r, in]
            adapters[name + ".lora_A.weight"] = (torch.rand(LORA["rank"], in_features, generator=lora_generator, dtype=torch.float64) * 2 - 1) * bound
            adapters[name + ".lora_B.weight"] = torch.randn(out_features, LORA["rank"], generator=lora_generator, dtype=torch.float64) * 0.1
    adapters = {name: tensor.requires_grad_(True) for name, tensor in adapters.items()}
    tensors = {"weights." + name: tensor.clone() for name, tensor in base.items()}
    tensors.update({"adapters." + name: tensor.detach().clone() for name, tensor in adapters.items()})

    logits = forward({**base, **adapters}, ids, positions, segments)
    loss = loss_of(logits, targets)
    loss.backward()
    tensors["logits"] = logits.detach().reshape(-1, CONFIG["vocab_size"])
    for name, tensor in adapters.items():
        tensors["grads." + name] = tensor.grad.detach().clone()
    training = dict(learning_rate=1e-2, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.1, max_grad_norm=1.0)
    grad_norm = torch.nn.utils.clip_grad_norm_(list(adapters.values()), training["max_grad_norm"]).item()
    optimizer = torch.optim.AdamW(list(adapters.values()), lr=training["learning_rate"], betas=tuple(training["betas"]), eps=training["eps"], weight_decay=training["weight_decay"])
    optimizer.step()
    for name, tensor in adapters.items():
        tensors["updated." + name] = tensor.detach().clone()
    metadata = {
        "magic": MAGIC,
        "version": str(VERSION),
        "generator": "packages/train/scripts/make-golden.py, torch " + torch.__version__ + ", float64",
        "config": json.dumps(CONFIG),
        "lora": json.dumps(LORA),
        "training": json.dumps(training),
        "batch": json.dumps({"ids": ids.tolist(), "targets": targets.tolist(), "positions": positions.tolist(), "segments": segments.tolist()}),
        "loss": repr(loss.item()),
        "grad_norm": repr(grad_norm),
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "golden-lora.safetensors")
    write_safetensors(out, tensors, metadata)
    print(f"wrote {os.path.normpath(out)}: {os.path.getsize(out)} bytes, loss {loss.item():.6f}, grad norm {grad_norm:.6f}")


DISTILLATION = dict(rows=12, vocab=40, top_k=8, teacher_scale=3.0, seed=SEED + 2)
# (name, divergence, beta, temperature, teacher): teacher "full" or "top-<k>". beta matters for jsd only.
DISTILLATION_CASES = [
    ("forward-kl-full-t1", "forward-kl", 0.5, 1.0, "full"),
    ("forward-kl-full-t2", "forward-kl", 0.5, 2.0, "full"),
    ("reverse-kl-full-t2", "reverse-kl", 0.5, 2.0, "full"),
    ("jsd-b0.5-full-t1", "jsd", 0.5, 1.0, "full"),
    ("jsd-b0.1-full-t2", "jsd", 0.1, 2.0, "full"),
    ("forward-kl-top8-t2", "forward-kl", 0.5, 2.0, "top-8"),
    ("reverse-kl-top8-t1", "reverse-kl", 0.5, 1.0, "top-8"),
    ("jsd-b0.9-top8-t2", "jsd", 0.9, 2.0, "top-8"),
    ("forward-kl-top40-t1", "forward-kl", 0.5, 1.0, "top-40"),  # k = V: no tail bucket
]


def kl(log_p, log_q):  # KL(P || Q) per row, from log-probabilities; 0 · log 0 = 0
    return (log_p.exp() * (log_p - log_q)).nan_to_num(0.0).sum(-1)


def divergence_of(log_q, log_p, divergence, beta):
    """Per-row divergence between student log q and teacher log P (TRL's generalized_jsd_loss for jsd)."""
    if divergence == "forward-kl":
        return kl(log_p, log_q)
    if divergence == "reverse-kl":
        return kl(log_q, log_p)
    beta_t = torch.tensor(beta, dtype=torch.float64)
    mixture = torch.logsumexp(torch.stack([log_q + torch.log(1 - beta_t), log_p + torch.log(beta_t)]), dim=0)
    return beta * kl(log_p, mixture) + (1 - beta) * kl(log_q, mixture)


def main_distillation():
    """fixtures/golden-distillation.safetensors: the fused losses of kernels/src/training-ops.ts in float64.

    Inputs are rounded to f32 first (the fixture stores f32) so that the float64 truth is of exactly
    the values Cria reads. Distillation (`distillationLoss`): p = softmax(student / tau); full teacher
    P = softmax(teacher / tau); top-k teacher: the teacher's k largest log-probabilities at tau, and
    the divergence over k + 1 buckets (the k tokens, then a tail: teacher max(1e-6, 1 - sum exp(logprobs)),
    student the mass of p outside the k tokens; with k = V no tail). loss = tau^2 * mean over the rows
    whose mask is 1. Cross-entropy (`crossEntropy`): mean over the rows whose target is not -100.
    Each case stores the loss and d(loss)/d(student logits).
    """
    d = DISTILLATION
    rows, V = d["rows"], d["vocab"]
    generator = torch.Generator().manual_seed(d["seed"])
    f32 = lambda t: t.to(torch.float32).to(torch.float64)
    student_values = f32(torch.randn(rows, V, generator=generator, dtype=torch.float64) * 2)
    teacher_values = f32(torch.randn(rows, V, generator=generator, dtype=torch.float64) * d["teacher_scale"])
    mask = torch.ones(rows, dtype=torch.long)
    mask[[2, 7]] = 0  # e.g. prompt tokens: not distilled
    targets = torch.randint(0, V, (rows,), generator=generator)
    targets[[0, 5, 6]] = -100
    tensors = {"student_logits": student_values, "teacher_logits": teacher_values}
    cases = []
    counted = mask.bool()

    student = student_values.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(student, targets, ignore_index=-100)
    loss.backward()
    tensors["cases.cross-entropy.dstudent"] = student.grad.detach().clone()
    cases.append(dict(name="cross-entropy", loss=loss.item()))

    for name, divergence, beta, temperature, teacher in DISTILLATION_CASES:
        student = student_values.clone().requires_grad_(True)
        log_q_full = torch.log_softmax(student / temperature, -1)
        teacher_full = torch.log_softmax(teacher_values / temperature, -1)
        case = dict(name=name, divergence=divergence, beta=beta, temperature=temperature, teacher=teacher)
        if teacher == "full":
            log_q, log_p = log_q_full, teacher_full
        else:
            k = int(teacher.split("-")[1])
            top = teacher_full.topk(k, dim=-1)
            indices, logprobs = top.indices, f32(top.values)  # Cria reads the f32 log-probabilities
            tensors[f"cases.{name}.teacher_logprobs"] = logprobs
            case["indices"] = indices.tolist()
            log_q, log_p = log_q_full.gather(-1, indices), logprobs
            if k < V:
                outside = torch.ones(rows, V, dtype=torch.bool).scatter(-1, indices, False)
                student_tail = torch.logsumexp(log_q_full.masked_fill(~outside, float("-inf")), -1, keepdim=True)
                teacher_tail = torch.log((1 - logprobs.exp().sum(-1, keepdim=True)).clamp_min(1e-6))
                log_q, log_p = torch.cat([log_q, student_tail], -1), torch.cat([log_p, teacher_tail], -1)
        per_row = divergence_of(log_q, log_p, divergence, beta)
        loss = temperature ** 2 * per_row[counted].mean()
        loss.backward()
        tensors[f"cases.{name}.dstudent"] = student.grad.detach().clone()
        case["loss"] = loss.item()
        cases.append(case)

    metadata = {
        "magic": MAGIC,
        "version": str(VERSION),
        "kind": "distillation",
        "generator": "packages/train/scripts/make-golden.py distillation, torch " + torch.__version__ + ", float64",
        "shape": json.dumps([rows, V]),
        "mask": json.dumps(mask.tolist()),
        "targets": json.dumps(targets.tolist()),
        "cases": json.dumps(cases),
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "golden-distillation.safetensors")
    write_safetensors(out, tensors, metadata)
    print(f"wrote {os.path.normpath(out)}: {os.path.getsize(out)} bytes, losses {[(c['name'], round(c['loss'], 6)) for c in cases]}")


if __name__ == "__main__":
    import sys
    chosen = sys.argv[1:] or [*VARIANTS, "lora", "distillation"]
    for variant in chosen:
        if variant == "lora":
            main_lora()
        elif variant == "distillation":
            main_distillation()
        else:
            main(variant)
