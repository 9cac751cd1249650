/**
 * In-place edits of a logits row before sampling, each one the behaviour of a named reference so
 * the parameters mean what users expect from elsewhere.
 */

/** OpenAI's `logit_bias`: token id → value added to its logit (−100 bans, +100 forces in practice). */
export function applyLogitBias(logits: Float32Array, bias: ReadonlyMap<number, number>): void {
  for (const [id, value] of bias) logits[id] = logits[id]! + value;
}

/**
 * llama.cpp's / transformers' repetition penalty: every distinct token already in `context` has
 * its logit divided by `penalty` when positive and multiplied when negative (so > 1 always discourages).
 */
export function applyRepetitionPenalty(logits: Float32Array, context: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set(context);
  for (const id of seen) {
    if (id < 0 || id >= logits.length) continue;
    const logit = logits[id]!;
    logits[id] = logit > 0 ? logit / penalty : logit * penalty;
  }
}

/**
 * OpenAI's frequency and presence penalties over the generated tokens:
 * logit −= count · frequency_penalty + (count > 0) · presence_penalty.
 */
export function applyFrequencyPresencePenalty(logits: Float32Array, generated: readonly number[], frequency: number, presence: number): void {
  if (frequency === 0 && presence === 0) return;
  const counts = new Map<number, number>();
  for (const id of generated) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) {
    if (id < 0 || id >= logits.length) continue;
    logits[id] = logits[id]! - count * frequency - presence;
  }
}

/** Index of the largest value, the lowest index on ties (as the kernels' argmax and llama.cpp's greedy). */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** log softmax of a logits row, in f64 for the normaliser. */
export function logSoftmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const value of logits) if (value > max) max = value;
  let sum = 0;
  for (const value of logits) sum += Math.exp(value - max);
  const logSum = max + Math.log(sum);
  return Float32Array.from(logits, (value) => value - logSum);
}
