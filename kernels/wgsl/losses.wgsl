// Fused losses, one 256-invocation workgroup per row of logits (rows spread over x and y of the
// grid), each writing its row's loss to `row_losses` and adding its gradient to dlogits in the same
// pass; then `total` (one workgroup) sums the rows in a fixed order: deterministic, no atomics.
//   cross_entropy: lse(z) − z[target] for rows whose target is in [0, V);
//                  dlogits += dloss / count · (softmax(z) − onehot(target))
//   distill_full / distill_top_k: the divergence between p = softmax(z / τ) and the teacher over
//                  V buckets (full) or k + 1 buckets (top-k: the listed tokens and a tail bucket),
//                  loss = τ² · mean, dlogits += dloss · τ / count · p_c · (g_bucket(c) − Σ_b q_b g_b)
//                  with g = ∂divergence/∂q_b (see divergence_term and training-ops.ts).
// Each row workgroup counts the counted rows itself (a scan of targets or mask), which the
// gradient's 1 / count needs before the total exists.

struct Params {
  rows: u32,
  V: u32,
  k: u32,              // top-k entries per row
  has_gradient: u32,
  has_mask: u32,
  divergence: u32,     // 0 forward-kl, 1 reverse-kl, 2 jsd
  temperature: f32,
  beta: f32,
  dloss: f32,
  loss_scale: f32,     // τ² for distillation, 1 for cross-entropy
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> teacher_logits: array<f32>;
@group(0) @binding(4) var<storage, read> teacher_indices: array<i32>;
@group(0) @binding(5) var<storage, read> teacher_logprobs: array<f32>;
@group(0) @binding(6) var<storage, read> mask: array<i32>;
@group(0) @binding(7) var<storage, read_write> row_losses: array<vec2<f32>>; // [rows] (loss, counted)
@group(0) @binding(8) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(9) var<storage, read_write> bucket_of: array<u32>;         // [rows, V] scratch
@group(0) @binding(10) var<storage, read_write> loss: array<f32>;

const TEACHER_TAIL_FLOOR = 1e-6;
const LOG2_E = 1.4426950408889634;
const LN2_HIGH = 0.693145751953125; // ln 2 in its top 16 bits: n · LN2_HIGH is exact
const LN2_LOW = 1.4286068202862268e-6;
const SPLIT_FLOOR = 9.5367431640625e-7; // 2^-20: smaller hi parts go to lo, so Σ hi stays exact

/** log Σ exp(z / divide) over a row of the student's logits, by every invocation of the workgroup. */
fn row_logsumexp(base: u32, lidx: u32, divide: f32) -> f32 {
  var maximum = -3.4e38;
  for (var c = lidx; c < params.V; c += 256u) {
    maximum = max(maximum, logits[base + c] / divide);
  }
  maximum = workgroup_max(maximum, lidx);
  var total = 0.0;
  for (var c = lidx; c < params.V; c += 256u) {
    total += exp(logits[base + c] / divide - maximum);
  }
  return maximum + log(workgroup_sum(total, lidx));
}

/** The same over the teacher's logits (a separate function: entry points without a full teacher bind none). */
fn teacher_logsumexp(base: u32, lidx: u32, divide: f32) -> f32 {
  var maximum = -3.4e38;
  for (var c = lidx; c < params.V; c += 256u) {
    maximum = max(maximum, teacher_logits[base + c] / divide);
  }
  maximum = workgroup_max(maximum, lidx);
  var total = 0.0;
  for (var c = lidx; c < params.V; c += 256u) {
    total += exp(teacher_logits[base + c] / divide - maximum);
  }
  return maximum + log(workgroup_sum(total, lidx));
}

/**
 * exp(x) as hi + lo, hi = 2^n exactly and lo = 2^n · expm1(r) with x = n·ln 2 + r (Cody–Waite),
 * expm1 from its Taylor series on |r| ≤ ln 2 / 2 (truncation < 3e-10). For the teacher's tail mass
 * 1 − Σ exp(logprobs): that difference cancels, and a GPU exp's ulp-sized error on a probability
 * near 1 would become a large relative error of a small tail. With the split, Σ hi is exact (powers
 * of two from 2^-20 up, summing below 2) and only the small lo parts round.
 */
fn exp_split(x: f32) -> vec2<f32> {
  let n = round(x * LOG2_E);
  let r = (x - n * LN2_HIGH) - n * LN2_LOW;
  var series = 1.0 / 362880.0;
  series = fma(series, r, 1.0 / 40320.0);
  series = fma(series, r, 1.0 / 5040.0);
  series = fma(series, r, 1.0 / 720.0);
  series = fma(series, r, 1.0 / 120.0);
  series = fma(series, r, 1.0 / 24.0);
  series = fma(series, r, 1.0 / 6.0);
  series = fma(series, r, 0.5);
  series = fma(series, r, 1.0);
  let power = ldexp(1.0, i32(n));
  return vec2<f32>(power, power * (series * r));
}

/**
 * One bucket's divergence term and its derivative by the student's probability q:
 * forward-kl −P/q, reverse-kl log q − log P + 1, jsd (1 − β)·log(q / M) with M = β·P + (1 − β)·q
 * (log M from a log-sum-exp, so it stays finite when either side underflows).
 */
fn divergence_term(lq: f32, lp: f32) -> vec2<f32> {
  let q = exp(lq);
  let p = exp(lp);
  switch params.divergence {
    case 0u: {
      return select(vec2<f32>(), vec2<f32>(p * (lp - lq), -exp(lp - lq)), p > 0.0);
    }
    case 1u: {
      return select(vec2<f32>(), vec2<f32>(q * (lq - lp), lq - lp + 1.0), q > 0.0);
    }
    default: {
      let beta = params.beta;
      let a = log(beta) + lp;
      let b = log(1.0 - beta) + lq;
      let high = max(a, b);
      let lm = high + log(exp(a - high) + exp(b - high));
      let teacher_part = select(0.0, beta * p * (lp - lm), p > 0.0);
      let student_part = select(vec2<f32>(), vec2<f32>((1.0 - beta) * q * (lq - lm), (1.0 - beta) * (lq - lm)), q > 0.0);
      return vec2<f32>(teacher_part + student_part.x, student_part.y);
    }
  }
}

/** Rows that count for the mean (mask ≠ 0, or all without a mask), summed by the workgroup. */
fn masked_count(lidx: u32) -> f32 {
  var count = 0.0;
  for (var r = lidx; r < params.rows; r += 256u) {
    count += select(1.0, select(0.0, 1.0, mask[r] != 0), params.has_mask == 1u);
  }
  return workgroup_sum(count, lidx);
}

@compute @workgroup_size(256)
fn cross_entropy(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let row = flat_workgroup(group, groups);
  if (row >= params.rows) {
    return;
  }
  let V = params.V;
  var count = 0.0;
  for (var r = lidx; r < params.rows; r += 256u) {
    count += select(0.0, 1.0, targets[r] >= 0 && u32(targets[r]) < V);
  }
  count = workgroup_sum(count, lidx);
  let base = row * V;
  let lse = row_logsumexp(base, lidx, 1.0);
  let target_id = targets[row];
  let counted = target_id >= 0 && u32(target_id) < V;
  if (lidx == 0u) {
    row_losses[row] = select(vec2<f32>(), vec2<f32>(lse - logits[base + u32(target_id)], 1.0), counted);
  }
  if (params.has_gradient == 1u && counted) {
    let factor = params.dloss / count;
    for (var c = lidx; c < V; c += 256u) {
      let onehot = select(0.0, 1.0, i32(c) == target_id);
      dlogits[base + c] += factor * (exp(logits[base + c] - lse) - onehot);
    }
  }
}

@compute @workgroup_size(256)
fn distill_full(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let row = flat_workgroup(group, groups);
  if (row >= params.rows) {
    return;
  }
  let V = params.V;
  let tau = params.temperature;
  let count = masked_count(lidx);
  let base = row * V;
  let lse = row_logsumexp(base, lidx, tau);
  let teacher_lse = teacher_logsumexp(base, lidx, tau);
  var row_loss = 0.0;
  var expected = 0.0;
  for (var c = lidx; c < V; c += 256u) {
    let lq = logits[base + c] / tau - lse;
    let term = divergence_term(lq, teacher_logits[base + c] / tau - teacher_lse);
    row_loss += term.x;
    expected = fma(exp(lq), term.y, expected);
  }
  row_loss = workgroup_sum(row_loss, lidx);
  expected = workgroup_sum(expected, lidx);
  let counted = params.has_mask == 0u || mask[row] != 0;
  if (lidx == 0u) {
    row_losses[row] = select(vec2<f32>(), vec2<f32>(row_loss, 1.0), counted);
  }
  if (params.has_gradient == 1u && counted) {
    let factor = params.dloss * tau / count;
    for (var c = lidx; c < V; c += 256u) {
      let lq = logits[base + c] / tau - lse;
      let g = divergence_term(lq, teacher_logits[base + c] / tau - teacher_lse).y;
      dlogits[base + c] += factor * exp(lq) * (g - expected);
    }
  }
}

@compute @workgroup_size(256)
fn distill_top_k(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let row = flat_workgroup(group, groups);
  if (row >= params.rows) {
    return;
  }
  let V = params.V;
  let k = params.k;
  let tau = params.temperature;
  let count = masked_count(lidx);
  let base = row * V;
  let top_base = row * k;
  let lse = row_logsumexp(base, lidx, tau);

  // Which bucket each token falls in: its rank in the teacher's list, or k (the tail).
  for (var c = lidx; c < V; c += 256u) {
    bucket_of[base + c] = k;
  }
  storageBarrier();
  for (var i = lidx; i < k; i += 256u) {
    bucket_of[base + u32(teacher_indices[top_base + i])] = i;
  }
  storageBarrier();

  var teacher_mass = vec2<f32>(); // (Σ hi, Σ lo) of exp_split
  var row_loss = 0.0;
  var expected = 0.0;
  for (var i = lidx; i < k; i += 256u) {
    let lp = teacher_logprobs[top_base + i];
    let p = exp_split(lp);
    if (p.x >= SPLIT_FLOOR) {
      teacher_mass += p;
    } else {
      teacher_mass.y += p.x + p.y;
    }
    let lq = logits[base + u32(teacher_indices[top_base + i])] / tau - lse;
    let term = divergence_term(lq, lp);
    row_loss += term.x;
    expected = fma(exp(lq), term.y, expected);
  }
  var student_tail = 0.0;
  for (var c = lidx; c < V; c += 256u) {
    if (bucket_of[base + c] == k) {
      student_tail += exp(logits[base + c] / tau - lse);
    }
  }
  let teacher_tail = (1.0 - workgroup_sum(teacher_mass.x, lidx)) - workgroup_sum(teacher_mass.y, lidx);
  student_tail = workgroup_sum(student_tail, lidx);
  // k = V lists every token: no tail bucket.
  let has_tail = k < V;
  let tail = divergence_term(log(student_tail), log(max(TEACHER_TAIL_FLOOR, teacher_tail)));
  if (has_tail && lidx == 0u) {
    row_loss += tail.x;
    expected = fma(student_tail, tail.y, expected);
  }
  row_loss = workgroup_sum(row_loss, lidx);
  expected = workgroup_sum(expected, lidx);
  let counted = params.has_mask == 0u || mask[row] != 0;
  if (lidx == 0u) {
    row_losses[row] = select(vec2<f32>(), vec2<f32>(row_loss, 1.0), counted);
  }
  if (params.has_gradient == 1u && counted) {
    let factor = params.dloss * tau / count;
    for (var c = lidx; c < V; c += 256u) {
      let lq = logits[base + c] / tau - lse;
      let bucket = bucket_of[base + c];
      var g = tail.y;
      if (bucket < k) {
        g = divergence_term(lq, teacher_logprobs[top_base + bucket]).y;
      }
      dlogits[base + c] += factor * exp(lq) * (g - expected);
    }
  }
}

@compute @workgroup_size(256)
fn total(@builtin(local_invocation_index) lidx: u32) {
  var sum = vec2<f32>();
  for (var r = lidx; r < params.rows; r += 256u) {
    sum += row_losses[r];
  }
  let loss_sum = workgroup_sum(sum.x, lidx);
  let count = workgroup_sum(sum.y, lidx);
  if (lidx == 0u) {
    loss[0] = select(0.0, params.loss_scale * loss_sum / count, count > 0.0);
  }
}
