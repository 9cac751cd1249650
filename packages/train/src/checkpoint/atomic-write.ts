/**
 * Writes `chunks` to `path` so that a crash at any moment leaves either the old file or the new one,
 * never a torn one: write a temporary file beside it, fsync it, rename it over `path` (atomic on
 * POSIX file systems), then fsync the directory so the rename itself survives a power loss.
 * Node only (imported lazily, so the package still loads in browsers).
 */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const { open, rename, rm } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = await open(temporary, 'w');
  try {
    for (const chunk of chunks) await file.write(chunk);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
