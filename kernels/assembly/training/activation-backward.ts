import { sigmoid4 } from '../common/exp';
import { elementStart, madd, min32, partStart } from '../common/simd';

/**
 * Elementwise backwards (all accumulate into the gradient): silu, gelu, swiglu, scale, and the
 * add / mul backward whose broadcast operand's gradient is a reduction, partitioned by b element
 * so every thread count sums in the same order.
 */

/** d silu = σ(x)·(1 + x·(1 − σ(x))). */
// @ts-ignore: decorator
@inline
function siluDerivative4(x: v128): v128 {
  const s = sigmoid4(x);
  const one = f32x4.splat(1);
  return f32x4.mul(s, madd(x, f32x4.sub(one, s), one));
}

/** gelu = x·σ(2u), u = c(x + 0.044715x³): σ + x·σ(1 − σ)·2c(1 + 0.134145x²). */
// @ts-ignore: decorator
@inline
function geluDerivative4(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.splat(0.7978845608028654), f32x4.mul(x, madd(x2, f32x4.splat(0.044715), f32x4.splat(1))));
  const s = sigmoid4(f32x4.add(u, u));
  const inner = f32x4.mul(f32x4.splat(1.5957691216057308), madd(x2, f32x4.splat(0.134145), f32x4.splat(1)));
  return madd(f32x4.mul(x, f32x4.mul(s, f32x4.sub(f32x4.splat(1), s))), inner, s);
}

const SILU: i32 = 0;

/** dx += dout · f'(x), f = silu (kind 0) or gelu (kind 1). */
export function activationBackward(thread: i32, threads: i32, kind: i32, dx: usize, dout: usize, x: usize, size: i32): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  for (; i < end; i += 4) {
    const at = <usize>i << 2;
    if (i + 4 <= end) {
      const value = v128.load(x + at);
      const derivative = kind == SILU ? siluDerivative4(value) : geluDerivative4(value);
      v128.store(dx + at, madd(v128.load(dout + at), derivative, v128.load(dx + at)));
    } else {
      for (let j = i; j < end; j++) {
        const a = <usize>j << 2;
        const value = f32x4.splat(load<f32>(x + a));
        const derivative = f32x4.extract_lane(kind == SILU ? siluDerivative4(value) : geluDerivative4(value), 0);
        store<f32>(dx + a, load<f32>(dx + a) + load<f32>(dout + a) * derivative);
      }
    }
  }
}

/** dgate += dout·up·silu'(gate); dup += dout·silu(gate). */
export function swigluBackward(thread: i32, threads: i32, dgate: usize, dup: usize, dout: usize, gate: usize, up: usize, size: i32): void {
  const end = elementStart(size, thread + 1, threads);
  for (let i = elementStart(size, thread, threads); i < end; i += 4) {
    const count = min32(4, end - i);
    const at = <usize>i << 2;
    if (count == 4) {
      const g = v128.load(gate + at);
      const d = v128.load(dout + at);
      v128.store(dgate + at, madd(f32x4.mul(d, v128.load(up + at)), siluDerivative4(g), v128.load(dgate + at)));
      v128.store(dup + at, madd(d, f32x4.mul(g, sigmoid4(g)), v128.load(dup + at)));
    } else {
      for (let j = 0; j < count; j++) {
        const a = at + (<usize>j << 2);
        const g = f32x4.splat(load<f32>(gate + a));
        const d = load<f32>(dout + a);
        store<f32>(dgate + a, load<f32>(dgate + a) + d * load<f32>(up + a) * f32x4.extract_lane(siluDerivative4(g), 0));
        store<f32>(dup + a, load<f32>(dup + a) + d * f32x4.extract_lane(f32x4.mul(g, sigmoid4(g)), 0));
      }
    }
  }
}

/** dx += factor · dout; with factors (mul): dx[i] += dout[i] · factors[i % factorSize]. */
export function scaledAccumulate(
  thread: i32, threads: i32, dx: usize, dout: usize, factors: usize, size: i32, factorSize: i32, factor: f32,
): void {
  const end = elementStart(size, thread + 1, threads);
  let i = elementStart(size, thread, threads);
  if (factors == 0) {
    const f = f32x4.splat(factor);
    for (; i + 4 <= end; i += 4) v128.store(dx + (<usize>i << 2), madd(v128.load(dout + (<usize>i << 2)), f, v128.load(dx + (<usize>i << 2))));
    for (; i < end; i++) store<f32>(dx + (<usize>i << 2), load<f32>(dx + (<usize>i << 2)) + factor * load<f32>(dout + (<usize>i << 2)));
    return;
  }
  for (; i < end; i++) {
    const at = <usize>i << 2;
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dout + at) * load<f32>(factors + (<usize>(i % factorSize) << 2)));
  }
}

/** db[j] += Σ_r dout[r·bSize + j] · (factors ? factors[r·bSize + j] : 1): threads take ranges of j. */
export function broadcastReduce(thread: i32, threads: i32, db: usize, dout: usize, factors: usize, size: i32, bSize: i32): void {
  const end = partStart(bSize, thread + 1, threads);
  const repeats = size / bSize;
  for (let j = partStart(bSize, thread, threads); j < end; j++) {
    let sum: f32 = 0;
    for (let r = 0; r < repeats; r++) {
      const at = (<usize>r * <usize>bSize + <usize>j) << 2;
      sum += factors == 0 ? load<f32>(dout + at) : load<f32>(dout + at) * load<f32>(factors + at);
    }
    store<f32>(db + (<usize>j << 2), load<f32>(db + (<usize>j << 2)) + sum);
  }
}
