/** Writers return files as lists of chunks; these helpers put them in one buffer or on disk. */

/** Concatenates chunks (for small files and tests; stream large ones instead). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Writes chunks to a file one after another (Node only), never holding a second copy. */
export async function writeChunks(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'w');
  try {
    for (const chunk of chunks) await handle.write(chunk);
  } finally {
    await handle.close();
  }
}
