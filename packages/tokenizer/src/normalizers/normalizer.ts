import { TokenizerFormatError, UnsupportedComponentError } from '../errors.js';
import { AlignedBuilder, alignChunked, type AlignedText } from '../text/aligned-text.js';
import { compilePattern, LEADING_WHITE_SPACE, TRAILING_WHITE_SPACE } from '../text/pattern.js';

/**
 * The first stage: rewrites the text of each non-added-token span before it is split
 * (`normalizer` in tokenizer.json).
 */
export interface Normalizer {
  normalize(text: string): string;
  /**
   * The same rewrite on text that knows where each unit came from, so token offsets point into
   * the caller's string (`encodeWithOffsets`, assistant masks). Its text equals `normalize`'s.
   */
  align(text: AlignedText): AlignedText;
}

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
      const normalize = (text: string) => text.normalize(form);
      return { normalize, align: (text) => alignChunked(text, normalize) };
    }
    case 'Lowercase': {
      const normalize = (text: string) => text.toLowerCase();
      return { normalize, align: (text) => alignChunked(text, normalize) };
    }
    case 'Prepend':
      return prepend(requireString(spec, 'prepend', field));
    case 'Replace':
      return replace(compilePattern(spec['pattern'], `${field}.pattern`), requireString(spec, 'content', field));
    case 'Strip':
      return strip(spec['strip_left'] !== false, spec['strip_right'] !== false);
    case 'Sequence': {
      const list = spec['normalizers'];
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.normalizers`, 'an array', list);
      const stages = list
        .map((item, index) => createNormalizer(item, `${field}.normalizers[${index}]`))
        .filter((stage): stage is Normalizer => stage !== null);
      return {
        normalize(text) {
          for (const stage of stages) text = stage.normalize(text);
          return text;
        },
        align(text) {
          for (const stage of stages) text = stage.align(text);
          return text;
        },
      };
    }
    default:
      throw new UnsupportedComponentError(`${field}`, String(spec['type']), NORMALIZER_TYPES);
  }
}

function prepend(prefix: string): Normalizer {
  return {
    // Rust prepends only to non-empty text, so an empty span stays empty.
    normalize: (text) => (text.length === 0 ? text : prefix + text),
    align(input) {
      if (input.text.length === 0) return input;
      const builder = new AlignedBuilder(input);
      builder.replace(prefix, 0, 0); // the prefix borrows the first unit's range, as in the Rust crate
      builder.copy(0, input.text.length);
      return builder.build();
    },
  };
}

function replace(pattern: RegExp, content: string): Normalizer {
  return {
    normalize: (text) => text.replace(pattern, () => content),
    align(input) {
      const text = input.text;
      const builder = new AlignedBuilder(input);
      let previous = 0;
      pattern.lastIndex = 0;
      let match: RegExpExecArray | null;
      while ((match = pattern.exec(text)) !== null) {
        const start = match.index;
        const end = start + match[0].length;
        builder.copy(previous, start);
        builder.replace(content, start, end);
        previous = end;
        if (end === start) {
          // An empty match: step one code point on, as String.prototype.replace does with /u.
          const code = text.charCodeAt(end);
          pattern.lastIndex = end + (code >= 0xd800 && code <= 0xdbff && end + 1 < text.length ? 2 : 1);
        }
      }
      builder.copy(previous, text.length);
      return builder.build();
    },
  };
}

function strip(left: boolean, right: boolean): Normalizer {
  const bounds = (text: string): [number, number] => {
    const start = left ? (LEADING_WHITE_SPACE.exec(text)?.[0].length ?? 0) : 0;
    const end = right ? text.length - (TRAILING_WHITE_SPACE.exec(text.slice(start))?.[0].length ?? 0) : text.length;
    return [start, end];
  };
  return {
    normalize(text) {
      const [start, end] = bounds(text);
      return text.slice(start, end);
    },
    align(input) {
      const [start, end] = bounds(input.text);
      const builder = new AlignedBuilder(input);
      builder.copy(start, end);
      return builder.build();
    },
  };
}

function requireString(spec: Record<string, unknown>, key: string, field: string): string {
  const value = spec[key];
  if (typeof value !== 'string') throw new TokenizerFormatError(`${field}.${key}`, 'a string', value);
  return value;
}
