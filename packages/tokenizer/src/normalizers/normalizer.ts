import { TokenizerFormatError, UnsupportedComponentError } from '../errors.js';
import { compilePattern, trimEndWhiteSpace, trimStartWhiteSpace } from '../text/pattern.js';

/**
 * The first stage: rewrites the text of each non-added-token span before it is split
 * (`normalizer` in tokenizer.json). Offsets are not tracked: Cria never needs them.
 */
export type Normalizer = (text: string) => string;

export const NORMALIZER_TYPES = ['NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'Prepend', 'Replace', 'Strip', 'Sequence'] as const;

export function createNormalizer(config: unknown, field = 'normalizer'): Normalizer | null {
  if (config === null || config === undefined) return null;
  const spec = config as Record<string, unknown>;
  switch (spec['type']) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = spec['type'];
      return (text) => text.normalize(form);
    }
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'Prepend': {
      const prefix = requireString(spec, 'prepend', field);
      // Rust prepends only to non-empty text, so an empty span stays empty.
      return (text) => (text.length === 0 ? text : prefix + text);
    }
    case 'Replace': {
      const pattern = compilePattern(spec['pattern'], `${field}.pattern`);
      const content = requireString(spec, 'content', field);
      return (text) => text.replace(pattern, () => content);
    }
    case 'Strip': {
      const left = spec['strip_left'] !== false;
      const right = spec['strip_right'] !== false;
      return (text) => {
        const start = left ? trimStartWhiteSpace(text) : text;
        return right ? trimEndWhiteSpace(start) : start;
      };
    }
    case 'Sequence': {
      const list = spec['normalizers'];
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.normalizers`, 'an array', list);
      const stages = list
        .map((item, index) => createNormalizer(item, `${field}.normalizers[${index}]`))
        .filter((stage): stage is Normalizer => stage !== null);
      return (text) => {
        for (const stage of stages) text = stage(text);
        return text;
      };
    }
    default:
      throw new UnsupportedComponentError(`${field}`, String(spec['type']), NORMALIZER_TYPES);
  }
}

function requireString(spec: Record<string, unknown>, key: string, field: string): string {
  const value = spec[key];
  if (typeof value !== 'string') throw new TokenizerFormatError(`${field}.${key}`, 'a string', value);
  return value;
}
