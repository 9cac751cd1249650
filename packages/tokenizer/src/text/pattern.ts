import { TokenizerFormatError } from '../errors.js';
import { compileRustRegex } from '../pre-tokenizers/rust-regex.js';

/** A tokenizer.json `pattern`: `{ "String": "▁" }` (literal) or `{ "Regex": "\\s+" }`, as a global JS regex. */
export function compilePattern(pattern: unknown, field: string): RegExp {
  const value = pattern as { String?: unknown; Regex?: unknown } | null;
  if (value && typeof value.String === 'string') return new RegExp(escapeRegExp(value.String), 'gu');
  if (value && typeof value.Regex === 'string') return compileRustRegex(value.Regex, `${field}.Regex`);
  throw new TokenizerFormatError(field, '{ "String": … } or { "Regex": … }', pattern);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Unicode White_Space, what Rust's `char::is_whitespace` tests (JavaScript's `trim` also strips U+FEFF). */
export const WHITE_SPACE_CLASS = '[\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
export const LEADING_WHITE_SPACE = new RegExp(`^${WHITE_SPACE_CLASS}+`, 'u');
export const TRAILING_WHITE_SPACE = new RegExp(`${WHITE_SPACE_CLASS}+$`, 'u');
