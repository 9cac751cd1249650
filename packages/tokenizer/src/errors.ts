/**
 * Typed errors. Each names what was wrong (a tokenizer.json field path, a token, a type) and ends
 * with a hint that says how to fix it.
 */
export class TokenizerError extends Error {
  constructor(message: string, readonly hint: string) {
    super(`${message}. ${hint}`);
    this.name = new.target.name;
  }
}

/** A tokenizer.json / tokenizer_config.json / GGUF metadata value that is missing or malformed. */
export class TokenizerFormatError extends TokenizerError {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got: unknown,
    hint = 'Check that the file is a Hugging Face tokenizer.json written by `tokenizers` (tokenizer.save) and was not truncated',
  ) {
    super(`Malformed tokenizer: \`${field}\` should be ${expected}, got ${describe(got)}`, hint);
  }
}

/** A pipeline component (model, normalizer, pre-tokenizer, …) whose `type` this package does not implement. */
export class UnsupportedComponentError extends TokenizerError {
  constructor(
    readonly field: string,
    readonly type: string,
    readonly supported: readonly string[],
  ) {
    super(
      `Unsupported ${field} type "${type}"`,
      `Supported: ${supported.join(', ')}. Convert the tokenizer to one of these, or open an issue naming the model it comes from`,
    );
  }
}

/** A split regex that cannot be translated to an equivalent JavaScript regex. */
export class TokenizerRegexError extends TokenizerError {
  constructor(
    readonly field: string,
    readonly pattern: string,
    reason: string,
  ) {
    super(
      `Cannot compile the regex at \`${field}\` (${JSON.stringify(pattern)}): ${reason}`,
      'The pattern must be an Oniguruma/Rust regex that Hugging Face tokenizers accepts; check it for typos',
    );
  }
}

/** User text spells a special token while the caller asked for an error instead of plain-text encoding. */
export class SpecialTokenInTextError extends TokenizerError {
  constructor(
    readonly token: string,
    readonly index: number,
  ) {
    super(
      `The text contains the special token ${JSON.stringify(token)} at index ${index}`,
      `Pass { allowedSpecial: 'all' } (or a list with ${JSON.stringify(token)}) if the text is trusted and the token is meant as control, ` +
        `or { disallowedSpecial: 'plain' } to encode it as ordinary text`,
    );
  }
}

/** A chat template that fails to render, or that cannot give exact assistant masks. */
export class ChatTemplateError extends TokenizerError {}

/**
 * A token of a rendered conversation holds characters from both sides of an assistant turn's
 * boundary (the template's text and the answer merged into one token), so no mask can be exact.
 */
export class AssistantMaskError extends ChatTemplateError {
  constructor(
    readonly messageIndex: number,
    readonly tokenIndex: number,
    readonly tokenId: number,
    /** The token's [start, end) in the rendered text, and the boundary inside it. */
    readonly tokenRange: readonly [number, number],
    readonly boundary: number,
    tokenText: string,
    side: 'start' | 'end',
  ) {
    super(
      `Token ${tokenIndex} (id ${tokenId}, ${JSON.stringify(tokenText)}, characters ${tokenRange[0]}–${tokenRange[1]} of the rendered conversation) ` +
        `crosses the ${side} of assistant message ${messageIndex} at character ${boundary}: it holds text of both the template and the answer`,
      `No assistant mask can be exact for this conversation. Usually the answer ${side === 'start' ? 'starts' : 'ends'} with whitespace (a newline) that merges with the template's; ` +
        `strip it from message ${messageIndex}, or use a template that puts a special token at the boundary`,
    );
  }
}

/** Token offsets were asked of a pipeline stage that cannot map its output back to the input. */
export class OffsetsUnavailableError extends TokenizerError {
  constructor(stage: string) {
    super(`Token offsets cannot be computed through ${stage}`, 'Use encode() without offsets, or open an issue naming the tokenizer');
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A method called with an argument of the wrong kind (not a string to encode, not a list of ids to decode). */
export class TokenizerInputError extends TokenizerError {
  constructor(method: string, expected: string, got: unknown) {
    const described = got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got;
    super(`${method} expects ${expected}, got ${described}`, 'check the argument passed from JavaScript (TypeScript types catch this at compile time)');
  }
}

/**
 * The largest token id a tokenizer may use: 64 times the largest real vocabularies (~262k). Tables
 * indexed by id (id → token, special flags) are sized by the largest id, so a corrupt id of 2^53
 * would otherwise be an allocation that cannot succeed.
 */
export const MAX_TOKEN_ID = 2 ** 24 - 1;

/** `value` as a token id, or a TokenizerFormatError naming `field`. */
export function tokenId(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TOKEN_ID) {
    throw new TokenizerFormatError(field, `a token id (an integer from 0 to ${MAX_TOKEN_ID})`, value);
  }
  return value;
}
