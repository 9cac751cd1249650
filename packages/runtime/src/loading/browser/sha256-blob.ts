import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * SHA-256 of a Blob without holding a large one in memory. WebCrypto has no incremental digest, so
 * it needs the whole file in one buffer: fine for small files (native speed), a second copy of a
 * multi-gigabyte model in a browser tab for big ones. Past `oneShotBytes` the Blob (disk-backed when
 * it comes from the Cache API) is read a slice at a time into an incremental hash (@noble/hashes).
 */
export interface Sha256Options {
  /** Largest Blob hashed in one WebCrypto call (default 64 MiB). */
  oneShotBytes?: number;
  /** Slice size for bigger ones (default 8 MiB): the most memory the hash holds. */
  sliceBytes?: number;
  /** Called after each slice, so a long check can show progress. */
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export async function sha256Hex(blob: Blob, options: Sha256Options = {}): Promise<string> {
  if (blob.size <= (options.oneShotBytes ?? 64 << 20)) {
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    options.onProgress?.(blob.size, blob.size);
    return bytesToHex(new Uint8Array(digest));
  }
  const sliceBytes = options.sliceBytes ?? 8 << 20;
  const hash = sha256.create();
  for (let offset = 0; offset < blob.size; offset += sliceBytes) {
    options.signal?.throwIfAborted();
    hash.update(new Uint8Array(await blob.slice(offset, offset + sliceBytes).arrayBuffer()));
    options.onProgress?.(Math.min(blob.size, offset + sliceBytes), blob.size);
  }
  return bytesToHex(hash.digest());
}
