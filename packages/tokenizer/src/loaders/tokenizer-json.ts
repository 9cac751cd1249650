import { addedTokensFromJson } from '../added-tokens.js';
import { createDecoder } from '../decoders/decoder.js';
import { TokenizerFormatError } from '../errors.js';
import { BpeModel, bpeOptionsFromJson } from '../models/bpe.js';
import { createNormalizer } from '../normalizers/normalizer.js';
import { createPostProcessor } from '../post-processors/post-processor.js';
import { createPreTokenizer } from '../pre-tokenizers/pre-tokenizer.js';
import { Tokenizer } from '../tokenizer.js';
import { tokenizerConfigFromJson } from '../tokenizer-config.js';

/**
 * Builds a Tokenizer from a Hugging Face tokenizer.json and, optionally, its tokenizer_config.json
 * (chat template, bos/eos, decode clean-up). Each may be given as parsed JSON or as its text.
 *
 * ```ts
 * const tokenizer = loadTokenizer(await (await fetch(url + '/tokenizer.json')).text(), await (await fetch(url + '/tokenizer_config.json')).json());
 * ```
 */
export function loadTokenizer(tokenizerJson: unknown, tokenizerConfigJson?: unknown): Tokenizer {
  const json = parse(tokenizerJson, 'tokenizer.json');
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TokenizerFormatError('(root)', 'a tokenizer.json object', json);
  const spec = json as Record<string, unknown>;
  if (spec['model'] === undefined) {
    throw new TokenizerFormatError('model', 'the tokenizer model (an object with "type": "BPE")', undefined, 'Pass the tokenizer.json file, not tokenizer_config.json or config.json');
  }
  const preTokenizer = createPreTokenizer(spec['pre_tokenizer']);
  const decoderSpec = spec['decoder'] as { type?: unknown } | null | undefined;
  return new Tokenizer({
    model: new BpeModel(bpeOptionsFromJson(spec['model'])),
    byteLevel: preTokenizer?.byteLevel === true,
    normalizer: createNormalizer(spec['normalizer']),
    preTokenizer,
    postProcessor: createPostProcessor(spec['post_processor']),
    decoder: createDecoder(decoderSpec),
    byteLevelDecoder: decoderSpec?.type === 'ByteLevel',
    addedTokens: addedTokensFromJson(spec['added_tokens']),
    config: tokenizerConfigFromJson(parse(tokenizerConfigJson, 'tokenizer_config.json')),
  });
}

function parse(value: unknown, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new TokenizerFormatError('(root)', `valid JSON in ${name}`, value.slice(0, 40), `Fix the JSON syntax: ${(error as Error).message}`);
  }
}
