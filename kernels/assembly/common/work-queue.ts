import { min32 } from './simd';

/**
 * Dynamic work sharing inside one kernel call. A static split (`partStart`) makes an op as slow as
 * its slowest thread, and on a shared machine one thread often is: another process takes its core
 * for a few milliseconds, or the host runs both of a guest's vCPUs on one physical core. Measured
 * on the 2-core dev VM with a process busy 30% of the time beside a TinyLlama decode: static
 * ranges halved Cria's tokens/s while llama.cpp (whose matmuls claim chunks the same way) lost 7%.
 *
 * The kernels that carry a model's time (matvec, the integer prefill matmul, attention) therefore
 * cut their work into more chunks than threads, and each thread claims the next chunk from a
 * counter in shared memory until none is left, so a fast thread takes over a slow one's share.
 * Chunks are whole ranges and each output is computed by one thread in one fixed order, so results
 * do not depend on which thread claimed what.
 *
 * The counter is a word the host zeroes before each call. Every thread of a call returns before
 * the next call is published (see thread-pool.ts), so one word serves every call.
 */
const CHUNKS_PER_THREAD: i32 = 8;

/** The next unclaimed chunk of this call (counting up past the last one once all are taken). */
// @ts-ignore: decorator
@inline
export function claimChunk(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(counter, 1);
  const chunk = load<i32>(counter);
  store<i32>(counter, chunk + 1);
  return chunk;
}

/** Chunks to cut `units` into for `threads` threads: enough that one thread can cover for another. */
// @ts-ignore: decorator
@inline
export function chunkCount(units: i32, threads: i32): i32 {
  return min32(units, threads * CHUNKS_PER_THREAD);
}
