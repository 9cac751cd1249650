import { TokenizerRegexError } from '../errors.js';

/**
 * Translates the Oniguruma regexes that Hugging Face tokenizers use (Rust `onig` crate) into an
 * equivalent JavaScript regex with the `u` flag.
 *
 * The differences that matter for real tokenizers:
 * - `\s` is Unicode White_Space in Oniguruma: it includes U+0085 (NEL) and excludes U+FEFF (BOM),
 *   the reverse of JavaScript. Expanded to an explicit class so `" \uFEFF"` splits like in Rust.
 * - `\d` and `\w` are Unicode-aware in Oniguruma, ASCII-only in JavaScript: expanded to properties.
 * - `(?i:...)` groups (GPT-2 / Llama 3 contractions) do not exist in JavaScript: the letters inside
 *   are expanded to their case-folding classes (`s` also matches U+017F LATIN SMALL LETTER LONG S).
 * - Possessive quantifiers (`?+`, `++`, `*+`) do not exist in JavaScript: dropped, which is exact
 *   for the o200k-style patterns where the possessive part can never give back a character.
 * - Identity escapes of punctuation (`\#`, `\&`, `\~`, `\'`) are invalid under the `u` flag: unescaped.
 */
const WHITE_SPACE = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';
const DIGIT = '\\p{Nd}';
const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);
/** Letters whose Unicode simple case folding adds a character beyond the ASCII pair. */
const EXTRA_FOLDS: Record<string, string> = { s: '\\u017f', k: '\\u212a' };

export function compileRustRegex(pattern: string, field: string, flags = 'gu'): RegExp {
  const source = translateRustRegex(pattern, field);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new TokenizerRegexError(field, pattern, (error as Error).message);
  }
}

export function translateRustRegex(pattern: string, field: string): string {
  const fail = (reason: string): never => {
    throw new TokenizerRegexError(field, pattern, reason);
  };
  let out = '';
  let inClass = false;
  // Depth of open groups, and the depth at which each (?i: group opened.
  let depth = 0;
  const caseInsensitiveAt: number[] = [];
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    const ignoreCase = caseInsensitiveAt.length > 0;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) fail('trailing backslash');
      i++;
      afterQuantifier = false;
      if (next === 's' || next === 'S' || next === 'd' || next === 'D' || next === 'w' || next === 'W') {
        const lower = next.toLowerCase();
        const body = lower === 's' ? WHITE_SPACE : lower === 'w' ? WORD : DIGIT;
        const negated = next !== lower;
        if (inClass) {
          if (negated) fail(`\\${next} inside a character class is not supported`);
          out += body;
        } else {
          out += negated ? `[^${body}]` : `[${body}]`;
        }
      } else if (next === 'p' || next === 'P') {
        const end = pattern.indexOf('}', i);
        if (pattern[i + 1] !== '{' || end < 0) fail(`\\${next} without {name}`);
        out += `\\${next}{${propertyName(pattern.slice(i + 2, end), fail)}}`;
        i = end;
      } else if (/[0-9A-Za-z]/.test(next!)) {
        if (!/[tnrfvxu0-9]/.test(next!)) fail(`the escape \\${next} has no JavaScript equivalent`);
        out += `\\${next}`;
        if (next === 'x' || next === 'u') {
          // \x{HHHH} (Oniguruma) → \u{HHHH}; \xHH and \uHHHH are the same in both.
          if (pattern[i + 1] === '{') {
            const end = pattern.indexOf('}', i);
            out = `${out.slice(0, -2)}\\u{${pattern.slice(i + 2, end)}}`;
            i = end;
          }
        }
      } else if (SYNTAX.has(next!) || (inClass && next === '-')) {
        out += `\\${next}`;
      } else {
        out += next;
      }
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      if (char === '[') fail('nested character classes are not supported');
      if (ignoreCase && /[A-Za-z]/.test(char)) {
        if (pattern[i + 1] === '-') fail('ranges inside a case-insensitive class are not supported');
        out += caseVariants(char).join('');
      } else {
        out += char;
      }
      continue;
    }
    if (afterQuantifier && char === '+') {
      afterQuantifier = false; // possessive: see the note above
      continue;
    }
    afterQuantifier = false;
    switch (char) {
      case '[':
        inClass = true;
        out += char;
        if (pattern[i + 1] === '^') out += pattern[++i];
        if (pattern[i + 1] === ']') out += `\\${pattern[++i]}`;
        break;
      case '(':
        depth++;
        if (pattern.startsWith('(?i:', i)) {
          caseInsensitiveAt.push(depth);
          out += '(?:';
          i += 3;
        } else if (pattern.startsWith('(?', i) && !/^\(\?(?::|=|!|<=|<!|<[A-Za-z])/.test(pattern.slice(i))) {
          fail(`the group modifier at index ${i} has no JavaScript equivalent`);
        } else {
          out += char;
        }
        break;
      case ')':
        if (caseInsensitiveAt.at(-1) === depth) caseInsensitiveAt.pop();
        depth--;
        out += char;
        break;
      case '?':
      case '*':
      case '+':
      case '}':
        afterQuantifier = true;
        out += char;
        break;
      default:
        out += ignoreCase && /[A-Za-z]/.test(char) ? `[${caseVariants(char).join('')}]` : char;
    }
  }
  if (inClass) fail('unterminated character class');
  if (depth !== 0) fail('unbalanced parentheses');
  return out;
}

function caseVariants(letter: string): string[] {
  const lower = letter.toLowerCase();
  const variants = [lower, letter.toUpperCase()];
  const extra = EXTRA_FOLDS[lower];
  if (extra) variants.push(extra);
  return variants;
}

/** Oniguruma accepts bare script names (`\p{Han}`); JavaScript wants `\p{Script=Han}`. */
function propertyName(name: string, fail: (reason: string) => never): string {
  for (const candidate of [name, `Script=${name}`]) {
    try {
      new RegExp(`\\p{${candidate}}`, 'u');
      return candidate;
    } catch {
      // try the next spelling
    }
  }
  return fail(`unknown Unicode property \\p{${name}}`);
}
