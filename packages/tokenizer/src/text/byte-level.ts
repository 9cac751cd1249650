/**
 * GPT-2's byte ↔ printable-character map: every byte gets a visible Unicode character so that
 * byte-level BPE vocabularies can be stored as JSON strings ("Ġ" is the space byte 0x20).
 * Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 upward, in order.
 */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

function buildByteToChar(): string[] {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    chars[byte] = String.fromCharCode(printable ? byte : next++);
  }
  return chars;
}

/** The byte-level spelling of a UTF-8 byte string ("é" → "Ã©"). */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += BYTE_TO_CHAR[byte];
  return out;
}

/**
 * The bytes a token stands for in a byte-level vocabulary. A token with a character outside the
 * map (an added token like "<|eot_id|>" is fine, "ü" is not) is taken as its own UTF-8 bytes,
 * as the Rust ByteLevel decoder does.
 */
export function byteLevelToBytes(token: string): Uint8Array {
  const bytes = new Uint8Array(token.length);
  let length = 0;
  for (const char of token) {
    const byte = CHAR_TO_BYTE.get(char);
    if (byte === undefined) return UTF8.encode(token);
    bytes[length++] = byte;
  }
  return bytes.subarray(0, length);
}

export const UTF8 = new TextEncoder();

/**
 * Writes the UTF-8 of `text` into `out` (room for 3 bytes per UTF-16 unit) and returns the byte
 * count; a lone surrogate becomes U+FFFD's bytes, as TextEncoder writes it. A plain loop: for the
 * few characters of a pre-token it is several times faster than a TextEncoder call.
 */
export function encodeUtf8(text: string, out: Uint8Array): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      out[length++] = code;
    } else if (code < 0x800) {
      out[length++] = 0xc0 | (code >> 6);
      out[length++] = 0x80 | (code & 0x3f);
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i++;
          out[length++] = 0xf0 | (code >> 18);
          out[length++] = 0x80 | ((code >> 12) & 0x3f);
          out[length++] = 0x80 | ((code >> 6) & 0x3f);
          out[length++] = 0x80 | (code & 0x3f);
          continue;
        }
        code = 0xfffd;
      }
      out[length++] = 0xe0 | (code >> 12);
      out[length++] = 0x80 | ((code >> 6) & 0x3f);
      out[length++] = 0x80 | (code & 0x3f);
    }
  }
  return length;
}
/** Invalid sequences become U+FFFD per maximal subpart, like Rust's `String::from_utf8_lossy`. */
export const UTF8_LOSSY = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
