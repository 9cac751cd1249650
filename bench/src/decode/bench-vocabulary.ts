import { byteSymbols, testVocabulary, type TestVocabulary } from '@cria/runtime';

/**
 * The decode suite's tokenizer: the runtime's test tokenizer (byte symbols, a few English merges,
 * ChatML specials) grown to the model's vocab size the way a real BPE vocabulary is — with ordinary
 * tokens and one merge each — rather than with tens of thousands of reserved control tokens.
 *
 * Why it matters: peak memory counts the tokenizer. SmolLM2's real vocabulary is 49 152 normal
 * tokens and ~49 k merges with 17 specials; padding to that size with control tokens would make both
 * impls build a special-token matcher of 49 k entries that no real checkpoint of these shapes has.
 * The prompts are token ids, so the vocabulary's content does not change what is timed.
 */
export function benchVocabulary(vocabSize: number): TestVocabulary {
  const base = testVocabulary(vocabSize);
  const firstSpecial = base.types.indexOf(3);
  const specials = base.tokens.slice(firstSpecial, firstSpecial + 3); // <|endoftext|> <|im_start|> <|im_end|>
  const tokens = [...base.tokens.slice(0, firstSpecial), ...specials];
  const types = tokens.map((_, id) => (id < firstSpecial ? 1 : 3));
  const merges = [...base.merges];
  const known = new Set(tokens);
  // Two-symbol tokens from pairs of byte symbols (65 536 candidates), each with the merge that makes it.
  const symbols = byteSymbols();
  for (let pair = 0; tokens.length < vocabSize && pair < symbols.length * symbols.length; pair++) {
    const [left, right] = [symbols[pair >> 8]!, symbols[pair & 255]!];
    if (known.has(left + right)) continue;
    known.add(left + right);
    tokens.push(left + right);
    types.push(1);
    merges.push(`${left} ${right}`);
  }
  if (tokens.length < vocabSize) throw new RangeError(`the bench vocabulary reaches ${tokens.length} tokens, not ${vocabSize}`);
  return { tokens, types, merges, bosId: base.bosId, eosId: base.eosId, padId: base.padId };
}
