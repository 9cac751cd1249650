import { TokenizerFormatError, UnsupportedComponentError } from '../errors.js';
import { compilePattern } from '../text/pattern.js';
import { compileRustRegex } from './rust-regex.js';
import { SPLIT_BEHAVIORS, splitByPattern, type Emit, type SplitBehavior } from './split-by-pattern.js';

/**
 * The second stage: cuts a normalized span into the pieces ("words") that the model encodes
 * independently (`pre_tokenizer` in tokenizer.json).
 */
export interface PreTokenizer {
  /** `first` is true for the span at the very start of the input (Metaspace's "first" prepend scheme). */
  split(text: string, first: boolean, emit: Emit): void;
  /** The pieces are to be spelled as GPT-2 byte-level characters (a ByteLevel stage ran last). */
  readonly byteLevel: boolean;
  /** Emits its input unchanged (ByteLevel without regex or prefix space: it only marks the pieces byte-level). */
  readonly passThrough?: boolean;
}

export const PRE_TOKENIZER_TYPES = ['Split', 'ByteLevel', 'Metaspace', 'Digits', 'Whitespace', 'WhitespaceSplit', 'Sequence'] as const;

/** GPT-2's pattern, used by ByteLevel when `use_regex` is true. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

export function createPreTokenizer(config: unknown, field = 'pre_tokenizer'): PreTokenizer | null {
  if (config === null || config === undefined) return null;
  const spec = config as Record<string, unknown>;
  switch (spec['type']) {
    case 'Split': {
      const pattern = compilePattern(spec['pattern'], `${field}.pattern`);
      const behavior = spec['behavior'] as SplitBehavior;
      if (!SPLIT_BEHAVIORS.includes(behavior)) throw new TokenizerFormatError(`${field}.behavior`, `one of ${SPLIT_BEHAVIORS.join(', ')}`, behavior);
      const invert = spec['invert'] === true;
      return { byteLevel: false, split: (text, _first, emit) => splitByPattern(text, pattern, behavior, invert, emit) };
    }
    case 'ByteLevel': {
      const addPrefixSpace = spec['add_prefix_space'] === true;
      const pattern = spec['use_regex'] === false ? null : compileRustRegex(GPT2_PATTERN, `${field} (GPT-2 pattern)`);
      return {
        byteLevel: true,
        passThrough: !addPrefixSpace && pattern === null,
        split(text, _first, emit) {
          if (addPrefixSpace && !text.startsWith(' ')) {
            // The added space belongs to no input unit: pieces start one unit earlier.
            const shifted: Emit = (piece, start) => emit(piece, start - 1);
            if (pattern) splitByPattern(` ${text}`, pattern, 'Isolated', false, shifted);
            else emit(` ${text}`, -1);
          } else if (pattern) splitByPattern(text, pattern, 'Isolated', false, emit);
          else emit(text, 0);
        },
      };
    }
    case 'Metaspace':
      return metaspace(spec, field);
    case 'Digits': {
      const behavior: SplitBehavior = spec['individual_digits'] === true ? 'Isolated' : 'Contiguous';
      const digits = /\p{N}/gu;
      return { byteLevel: false, split: (text, _first, emit) => splitByPattern(text, digits, behavior, false, emit) };
    }
    case 'Whitespace': {
      const words = compileRustRegex('\\w+|[^\\w\\s]+', field);
      return { byteLevel: false, split: (text, _first, emit) => splitByPattern(text, words, 'Removed', true, emit) };
    }
    case 'WhitespaceSplit': {
      const space = compileRustRegex('\\s', field);
      return { byteLevel: false, split: (text, _first, emit) => splitByPattern(text, space, 'Removed', false, emit) };
    }
    case 'Sequence':
      return sequence(spec, field);
    default:
      throw new UnsupportedComponentError(field, String(spec['type']), PRE_TOKENIZER_TYPES);
  }
}

function metaspace(spec: Record<string, unknown>, field: string): PreTokenizer {
  const replacement = typeof spec['replacement'] === 'string' ? spec['replacement'] : '\u2581';
  // Older files say add_prefix_space instead of prepend_scheme.
  const scheme = (spec['prepend_scheme'] as string | undefined) ?? (spec['add_prefix_space'] === false ? 'never' : 'always');
  if (!['always', 'first', 'never'].includes(scheme)) throw new TokenizerFormatError(`${field}.prepend_scheme`, '"always", "first" or "never"', scheme);
  const splitPieces = spec['split'] !== false;
  const separator = new RegExp(replacement.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  // A one-unit replacement keeps units one to one; a longer one shifts them by an amount that
  // depends on the text, so its pieces are marked as not mappable (NaN) instead.
  const oneToOne = replacement.length === 1;
  return {
    byteLevel: false,
    split(text, first, emit) {
      text = text.replaceAll(' ', replacement);
      let shift = 0;
      if (!text.startsWith(replacement) && (scheme === 'always' || (scheme === 'first' && first))) {
        text = replacement + text;
        shift = replacement.length;
      }
      const shifted: Emit = oneToOne ? (shift === 0 ? emit : (piece, start) => emit(piece, start - shift)) : (piece) => emit(piece, NaN);
      if (splitPieces) splitByPattern(text, separator, 'MergedWithNext', false, shifted);
      else shifted(text, 0);
    },
  };
}

function sequence(spec: Record<string, unknown>, field: string): PreTokenizer | null {
  const list = spec['pretokenizers'];
  if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.pretokenizers`, 'an array', list);
  const stages = list
    .map((item, index) => createPreTokenizer(item, `${field}.pretokenizers[${index}]`))
    .filter((stage): stage is PreTokenizer => stage !== null);
  const byteLevelIndex = stages.findIndex((stage) => stage.byteLevel);
  if (byteLevelIndex >= 0 && byteLevelIndex !== stages.length - 1) {
    throw new UnsupportedComponentError(`${field}.pretokenizers`, 'ByteLevel before another stage', ['ByteLevel as the last stage']);
  }
  // A pass-through ByteLevel after a Split (Llama 3, Qwen) only says "byte-level": no call for it.
  if (byteLevelIndex > 0 && stages[byteLevelIndex]!.passThrough) return { byteLevel: true, split: chain(stages.slice(0, byteLevelIndex)) };
  if (stages.length === 0) return null;
  if (stages.length === 1) return stages[0]!;
  return { byteLevel: byteLevelIndex >= 0, split: chain(stages) };
}

/** Chains the stages once, at construction: each stage emits into the next one. */
function chain(stages: readonly PreTokenizer[]): PreTokenizer['split'] {
  let chained: PreTokenizer['split'] = (text, first, emit) => stages.at(-1)!.split(text, first, emit);
  for (let index = stages.length - 2; index >= 0; index--) {
    const stage = stages[index]!;
    const next = chained;
    chained = (text, first, emit) => {
      // Only the first piece of the first span starts the input.
      let firstPiece = first;
      // Where the current piece starts in `text`: the next stage's offsets are relative to it.
      let base = 0;
      const emitShifted: Emit = (piece, start) => emit(piece, base + start);
      stage.split(text, first, (piece, start) => {
        base = start;
        next(piece, firstPiece, emitShifted);
        firstPiece = false;
      });
    };
  }
  return stages.length === 1 ? stages[0]!.split : chained;
}
