/**
 * Typed errors of the model-file readers and writers. A malformed file is normal input: every
 * rejection has a code, names the file and the tensor or key it concerns, says what was expected and
 * what was found, and ends with a hint that names the fix.
 */
export type FormatErrorCode =
  /** The file ends before a header field or a tensor's data. */
  | 'truncated'
  /** A header length or section size beyond the sane maximum. */
  | 'header-too-large'
  | 'invalid-utf8'
  | 'invalid-json'
  /** The header parses but is not the expected shape (not an object, missing fields, wrong field types). */
  | 'invalid-header'
  | 'unsupported-dtype'
  /** A tensor's byte range does not match its shape and dtype. */
  | 'size-mismatch'
  | 'offset-out-of-bounds'
  | 'overlap'
  /** Bytes of the data section that no tensor covers (safetensors forbids holes). */
  | 'gap'
  | 'duplicate-name'
  | 'duplicate-key'
  /** An integer beyond 2^53 (JavaScript's exact range), or a product of dims that is. */
  | 'integer-overflow'
  | 'bad-magic'
  | 'unsupported-version'
  /** A count (tensors, keys, array items, dims, nesting) beyond what the file or a sane limit allows. */
  | 'limit-exceeded'
  | 'unknown-value-type'
  | 'invalid-value'
  | 'misaligned'
  | 'invalid-dims'
  | 'missing-shard'
  /** The file (or URL) could not be opened at all. */
  | 'file-not-found'
  /** The connection failed while a URL's bytes were being read (reset, timed out, closed early). */
  | 'network-error'
  | 'missing-tensor'
  /** A tensor's shape disagrees with what the model config implies. */
  | 'shape-mismatch'
  /** A writer was given tensors or metadata it cannot encode. */
  | 'invalid-input';

export interface FormatErrorDetails {
  readonly code: FormatErrorCode;
  /** The file (or source) name. */
  readonly file: string;
  readonly message: string;
  /** The tensor or metadata key the error concerns, when there is one. */
  readonly subject?: string;
  readonly expected?: string;
  readonly got?: string;
  readonly hint: string;
}

export class ModelFormatError extends Error {
  readonly code: FormatErrorCode;
  readonly file: string;
  readonly subject: string | undefined;
  readonly expected: string | undefined;
  readonly got: string | undefined;
  readonly hint: string;

  constructor(details: FormatErrorDetails) {
    const comparison = details.expected !== undefined ? `: expected ${details.expected}, got ${details.got ?? 'nothing'}` : '';
    super(`${details.file}: ${details.message}${comparison}\nHint: ${details.hint}`);
    this.name = new.target.name;
    this.code = details.code;
    this.file = details.file;
    this.subject = details.subject;
    this.expected = details.expected;
    this.got = details.got;
    this.hint = details.hint;
  }
}

/** The file is shorter than its header says: usually an interrupted download. */
export class TruncatedFileError extends ModelFormatError {
  constructor(file: string, what: string, expectedBytes: number, gotBytes: number, subject?: string) {
    super({
      code: 'truncated',
      file,
      subject,
      message: `the file is truncated: ${what}`,
      expected: `${expectedBytes} bytes`,
      got: `${Math.max(0, gotBytes)} bytes`,
      hint: 'the file is incomplete; re-download it (and check the disk is not full)',
    });
  }
}

/** A tensor is stored in an element type Cria cannot load. */
export class UnsupportedDTypeError extends ModelFormatError {
  constructor(file: string, tensor: string, dtype: string, supported: readonly string[]) {
    super({
      code: 'unsupported-dtype',
      file,
      subject: tensor,
      message: `tensor '${tensor}' has dtype ${dtype}, which Cria cannot load`,
      expected: `one of ${supported.join(', ')}`,
      got: dtype,
      hint: `convert the checkpoint to one of ${supported.join(', ')} (e.g. with llama.cpp's convert/quantize tools or torch)`,
    });
  }
}

/** A sharded checkpoint's index names a shard file that is not there. */
export class MissingShardError extends ModelFormatError {
  constructor(file: string, shard: string, tensor: string, cause?: unknown) {
    super({
      code: 'missing-shard',
      file,
      subject: tensor,
      message: `shard '${shard}' (holding '${tensor}') is listed in the index but could not be opened${cause instanceof Error ? ` (${cause.message})` : ''}`,
      hint: `download '${shard}' into the same directory as the index`,
    });
  }
}

/** A tensor the caller asked for (or the index promises) is not in the file. */
export class MissingTensorError extends ModelFormatError {
  constructor(file: string, tensor: string, hint = 'check the tensor name; list the available names with `.tensors.keys()`') {
    super({ code: 'missing-tensor', file, subject: tensor, message: `tensor '${tensor}' is not in the file`, hint });
  }
}

/** The file's format version is one this reader does not know. */
export class UnsupportedVersionError extends ModelFormatError {
  constructor(file: string, format: string, version: string, supported: readonly string[], hint?: string) {
    super({
      code: 'unsupported-version',
      file,
      message: `unsupported ${format} version`,
      expected: supported.join(' or '),
      got: version,
      hint: hint ?? `re-export the file as ${format} ${supported[supported.length - 1]} with a current llama.cpp`,
    });
  }
}

/** Shorthand for the many header rejections that need no class of their own. */
export function formatError(
  code: FormatErrorCode,
  file: string,
  message: string,
  hint: string,
  context: { subject?: string; expected?: string | number; got?: string | number } = {},
): ModelFormatError {
  return new ModelFormatError({
    code,
    file,
    message,
    hint,
    subject: context.subject,
    expected: context.expected === undefined ? undefined : String(context.expected),
    got: context.got === undefined ? undefined : String(context.got),
  });
}
