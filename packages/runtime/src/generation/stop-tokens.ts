import type { Tokenizer } from '@cria/tokenizer';

/**
 * End-of-turn / end-of-text tokens of common chat formats. Like llama.cpp's end-of-generation
 * set, they end generation whenever the vocabulary has them as special tokens, since chat
 * templates end turns with them even where the config's eos is another token.
 */
const END_OF_GENERATION_TOKENS = ['<|im_end|>', '<|eot_id|>', '<|eom_id|>', '<|end_of_text|>', '<|endoftext|>', '</s>', '<end_of_turn>', '<|end|>'];

/** The model's stop tokens: the config's eos ids, the tokenizer's eos, and the chat end-of-turn tokens. */
export function modelStopTokens(tokenizer: Tokenizer, configEosIds: readonly number[]): Set<number> {
  const ids = new Set(configEosIds);
  if (tokenizer.eosTokenId !== undefined) ids.add(tokenizer.eosTokenId);
  for (const token of END_OF_GENERATION_TOKENS) {
    const id = tokenizer.tokenToId(token);
    if (id !== undefined && tokenizer.isSpecial(id)) ids.add(id);
  }
  return ids;
}
