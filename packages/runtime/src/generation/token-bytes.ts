import type { Tokenizer } from '@cria/tokenizer';

/**
 * The raw bytes of one token, for logprobs' `bytes` (a token can hold part of a UTF-8 character,
 * which its decoded text shows only as U+FFFD). Byte-level vocabularies (GPT-2, Llama 3, Qwen)
 * spell bytes with GPT-2's printable-character table; SentencePiece vocabularies spell a byte
 * fallback as `<0xNN>`. Anything else falls back to the UTF-8 of the decoded text.
 */
let byteOfCharacter: Map<string, number> | undefined;

/** GPT-2's `bytes_to_unicode`, inverted. */
function gpt2ByteTable(): Map<string, number> {
  const table = new Map<string, number>();
  const printable = (byte: number) => (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) table.set(String.fromCodePoint(printable(byte) ? byte : next++), byte);
  return table;
}

export function tokenBytes(tokenizer: Tokenizer, id: number, text: string): number[] {
  const spelled = tokenizer.idToToken(id);
  if (spelled !== undefined && !tokenizer.isSpecial(id)) {
    const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(spelled);
    if (fallback) return [parseInt(fallback[1]!, 16)];
    byteOfCharacter ??= gpt2ByteTable();
    const bytes: number[] = [];
    for (const character of spelled) {
      const byte = byteOfCharacter.get(character);
      if (byte === undefined) return [...new TextEncoder().encode(text)];
      bytes.push(byte);
    }
    // A byte-level spelling decodes to exactly these bytes; other vocabularies reach here only by
    // coincidence, so trust the table only when it agrees with the decoded text.
    if (!text.includes('\ufffd') && new TextDecoder().decode(Uint8Array.from(bytes)) !== text) return [...new TextEncoder().encode(text)];
    return bytes;
  }
  return [...new TextEncoder().encode(text)];
}
