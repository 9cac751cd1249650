import { TokenizerFormatError, UnsupportedComponentError } from '../errors.js';
import { byteLevelToBytes, UTF8_LOSSY } from '../text/byte-level.js';
import { compilePattern } from '../text/pattern.js';

/**
 * The last stage: turns token strings back into text (`decoder` in tokenizer.json). Each decoder
 * maps a list of token strings to a list of strings, as `Decoder::decode_chain` in the Rust crate,
 * so that per-token decoders (Strip, Metaspace) see token boundaries.
 */
export type Decoder = (tokens: string[]) => string[];

export const DECODER_TYPES = ['ByteLevel', 'Metaspace', 'ByteFallback', 'Fuse', 'Strip', 'Replace', 'Sequence'] as const;

export function createDecoder(config: unknown, field = 'decoder'): Decoder | null {
  if (config === null || config === undefined) return null;
  const spec = config as Record<string, unknown>;
  switch (spec['type']) {
    case 'ByteLevel':
      return (tokens) => [UTF8_LOSSY.decode(concatBytes(tokens.map(byteLevelToBytes)))];
    case 'Metaspace': {
      const replacement = typeof spec['replacement'] === 'string' ? spec['replacement'] : '\u2581';
      const scheme = (spec['prepend_scheme'] as string | undefined) ?? (spec['add_prefix_space'] === false ? 'never' : 'always');
      return (tokens) =>
        tokens.map((token, index) => {
          const text = token.replaceAll(replacement, ' ');
          return index === 0 && scheme !== 'never' && text.startsWith(' ') ? text.slice(1) : text;
        });
    }
    case 'ByteFallback':
      return byteFallback;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const content = spec['content'];
      if (typeof content !== 'string' || [...content].length !== 1) throw new TokenizerFormatError(`${field}.content`, 'a single character', content);
      const start = Number(spec['start'] ?? 0);
      const stop = Number(spec['stop'] ?? 0);
      return (tokens) => tokens.map((token) => strip(token, content, start, stop));
    }
    case 'Replace': {
      const pattern = compilePattern(spec['pattern'], `${field}.pattern`);
      const content = spec['content'];
      if (typeof content !== 'string') throw new TokenizerFormatError(`${field}.content`, 'a string', content);
      return (tokens) => tokens.map((token) => token.replace(pattern, () => content));
    }
    case 'Sequence': {
      const list = spec['decoders'];
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.decoders`, 'an array', list);
      const stages = list.map((item, index) => createDecoder(item, `${field}.decoders[${index}]`)).filter((stage): stage is Decoder => stage !== null);
      return (tokens) => stages.reduce((current, stage) => stage(current), tokens);
    }
    default:
      throw new UnsupportedComponentError(field, String(spec['type']), DECODER_TYPES);
  }
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `<0xAB>` tokens back to bytes. A run of byte tokens that is not valid UTF-8 becomes one U+FFFD
 * per byte, as in the Rust crate (transformers.js decodes the run leniently instead: see README).
 */
function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    try {
      out.push(STRICT_UTF8.decode(Uint8Array.from(pending)));
    } catch {
      out.push('\ufffd'.repeat(pending.length));
    }
    pending = [];
  };
  for (const token of tokens) {
    const match = token.length === 6 ? BYTE_TOKEN.exec(token) : null;
    if (match) {
      pending.push(parseInt(match[1]!, 16));
      continue;
    }
    flush();
    out.push(token);
  }
  flush();
  return out;
}

function strip(token: string, content: string, start: number, stop: number): string {
  const chars = [...token];
  let from = 0;
  while (from < start && from < chars.length && chars[from] === content) from++;
  let to = chars.length;
  while (chars.length - to < stop && to > from && chars[to - 1] === content) to--;
  return from === 0 && to === chars.length ? token : chars.slice(from, to).join('');
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
