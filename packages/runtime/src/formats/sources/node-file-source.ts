import { TruncatedFileError, formatError } from '../errors.js';
import { assertInBounds, type ByteSource } from './byte-source.js';

type FileHandle = import('node:fs/promises').FileHandle;

/**
 * A file on disk read with positioned reads (`fs.promises.open` + `handle.read`). `node:fs` is
 * imported lazily so that bundles of the package still load in browsers.
 */
export class NodeFileSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly name: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<NodeFileSource> {
    const { open } = await import('node:fs/promises');
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw formatError('file-not-found', path, `cannot open the file (${code ?? String(error)})`, code === 'ENOENT' ? 'check the path: the file does not exist' : 'check the file permissions');
    }
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw formatError('invalid-header', path, 'not a regular file', 'pass the path of a .safetensors or .gguf file, not a directory');
    }
    return new NodeFileSource(handle, path, stats.size);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(length);
    await this.readInto(offset, bytes);
    return bytes;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    const length = target.byteLength;
    assertInBounds(this, offset, length, `reading ${length} bytes at offset ${offset}`);
    let filled = 0;
    // A positioned read may return fewer bytes than asked (large reads, network file systems): loop.
    while (filled < length) {
      const { bytesRead } = await this.handle.read(target, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new TruncatedFileError(this.name, `the file shrank while reading ${length} bytes at offset ${offset}`, offset + length, offset + filled);
      filled += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Opens a file on disk as a ByteSource (Node only). */
export function openFileSource(path: string): Promise<NodeFileSource> {
  return NodeFileSource.open(path);
}
