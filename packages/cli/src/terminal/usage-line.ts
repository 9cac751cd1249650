import type { FinishReason, Usage } from '../engine-types.js';

/**
 * `12 prompt + 64 generated tokens (length) · prefill 850.2 tok/s · decode 41.7 tok/s`, with
 * `(40 reused)` after the prompt count when the engine's KV cache already held part of the prompt.
 */
export function formatUsage(usage: Usage, finishReason: FinishReason | null | undefined): string {
  const reason = finishReason ? ` (${finishReason})` : '';
  const reused = usage.prompt_tokens - usage.prefill_tokens;
  return (
    `${usage.prompt_tokens} prompt${reused > 0 ? ` (${reused} reused)` : ''} + ${usage.completion_tokens} generated tokens${reason}` +
    ` · prefill ${usage.prefill_tokens_per_second.toFixed(1)} tok/s · decode ${usage.decode_tokens_per_second.toFixed(1)} tok/s`
  );
}
