import { TokenizerFormatError, UnsupportedComponentError } from '../errors.js';

/**
 * The fourth stage: adds the special tokens a model expects around an encoded text (`<s>` for
 * Llama 2) when `addSpecialTokens` is on (`post_processor` in tokenizer.json).
 */
export type PostProcessor = (ids: number[]) => number[];

export const POST_PROCESSOR_TYPES = ['TemplateProcessing', 'ByteLevel', 'RobertaProcessing', 'BertProcessing', 'Sequence'] as const;

export function createPostProcessor(config: unknown, field = 'post_processor'): PostProcessor | null {
  if (config === null || config === undefined) return null;
  const spec = config as Record<string, unknown>;
  switch (spec['type']) {
    case 'ByteLevel':
      return null; // only adjusts offsets, which Cria does not track
    case 'TemplateProcessing':
      return template(spec, field);
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const first = tokenPair(spec['cls'], `${field}.cls`);
      const last = tokenPair(spec['sep'], `${field}.sep`);
      return (ids) => [first, ...ids, last];
    }
    case 'Sequence': {
      const list = spec['processors'];
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.processors`, 'an array', list);
      const stages = list.map((item, index) => createPostProcessor(item, `${field}.processors[${index}]`)).filter((stage): stage is PostProcessor => stage !== null);
      if (stages.length === 0) return null;
      return (ids) => stages.reduce((current, stage) => stage(current), ids);
    }
    default:
      throw new UnsupportedComponentError(field, String(spec['type']), POST_PROCESSOR_TYPES);
  }
}

function template(spec: Record<string, unknown>, field: string): PostProcessor {
  const single = spec['single'];
  if (!Array.isArray(single)) throw new TokenizerFormatError(`${field}.single`, 'an array of template pieces', single);
  const specialTokens = (spec['special_tokens'] ?? {}) as Record<string, { ids?: unknown }>;
  // Each piece is either the sequence itself (null) or the ids of a special token.
  const pieces = single.map((piece, index): number[] | null => {
    const item = piece as Record<string, { id?: unknown }>;
    if (item['Sequence']) return null;
    const special = item['SpecialToken'];
    if (!special || typeof special.id !== 'string') throw new TokenizerFormatError(`${field}.single[${index}]`, '{ "Sequence": … } or { "SpecialToken": { "id": … } }', piece);
    const ids = specialTokens[special.id]?.ids;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
      throw new TokenizerFormatError(`${field}.special_tokens[${JSON.stringify(special.id)}].ids`, 'an array of token ids', ids);
    }
    return ids as number[];
  });
  return (ids) => {
    const out: number[] = [];
    for (const piece of pieces) {
      if (piece === null) for (const id of ids) out.push(id);
      else for (const id of piece) out.push(id);
    }
    return out;
  };
}

function tokenPair(value: unknown, field: string): number {
  if (!Array.isArray(value) || typeof value[1] !== 'number') throw new TokenizerFormatError(field, 'a [token, id] pair', value);
  return value[1];
}
