import { ModelNotFoundError } from '../engine/engine-errors.js';
import { ModelFormatError } from '../formats/errors.js';
import type { ByteSource } from '../formats/sources/byte-source.js';
import { HttpRangeSource } from '../formats/sources/http-range-source.js';
import { openFileSource } from '../formats/sources/node-file-source.js';

/**
 * Where a model lives: a directory on disk, a base URL, or a single .gguf file (path or URL).
 * A directory-like location hands out its files by name, so the loader is the same for both.
 */
export type ModelLocation =
  | { kind: 'gguf'; name: string; open(): Promise<ByteSource> }
  | { kind: 'directory'; name: string; readText(file: string): Promise<string | undefined>; open(file: string): Promise<ByteSource> };

const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** Resolves `model` (EngineOptions.model) to a location, or throws ModelNotFoundError. A ModelLocation (browser files, a cached download) is used as is. */
export async function resolveModelLocation(model: string | ModelLocation): Promise<ModelLocation> {
  if (typeof model === 'object' && model !== null && (model.kind === 'gguf' || model.kind === 'directory')) return model;
  if (typeof model !== 'string' || model.length === 0) throw new ModelNotFoundError(String(model), 'pass a model directory, a .gguf file, or a URL');
  return isUrl(model) ? urlLocation(model) : pathLocation(model);
}

function urlLocation(url: string): ModelLocation {
  if (/\.gguf(\?.*)?$/i.test(url)) return { kind: 'gguf', name: url, open: () => openUrl(url) };
  const base = url.endsWith('/') ? url : `${url}/`;
  return {
    kind: 'directory',
    name: url,
    async readText(file) {
      const response = await fetch(base + file).catch((error: Error) => {
        throw new ModelNotFoundError(url, `cannot fetch ${file} (${error.message})`);
      });
      if (response.status === 404) return undefined;
      if (!response.ok) throw new ModelNotFoundError(url, `fetching ${file} failed with HTTP ${response.status}`);
      return response.text();
    },
    open: (file) => HttpRangeSource.open(base + file),
  };
}

/** A .gguf URL that is not there (404, no server) is a missing model, as a missing path is. */
async function openUrl(url: string): Promise<ByteSource> {
  try {
    return await HttpRangeSource.open(url);
  } catch (error) {
    if (error instanceof ModelFormatError && error.code === 'file-not-found') throw new ModelNotFoundError(url, error.message.slice(url.length + 2));
    throw error;
  }
}

async function pathLocation(path: string): Promise<ModelLocation> {
  const { stat, readFile, readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ModelNotFoundError(path, 'no such file or directory; check the path');
  if (info.isFile()) {
    if (!path.toLowerCase().endsWith('.gguf')) throw new ModelNotFoundError(path, 'a single file must be a .gguf; for safetensors pass the model directory (with config.json)');
    return { kind: 'gguf', name: path, open: () => openFileSource(path) };
  }
  const entries = await readdir(path);
  if (!entries.includes('config.json')) {
    const ggufs = entries.filter((entry) => entry.toLowerCase().endsWith('.gguf'));
    if (ggufs.length === 1) return { kind: 'gguf', name: join(path, ggufs[0]!), open: () => openFileSource(join(path, ggufs[0]!)) };
    const detail = ggufs.length > 1 ? `it holds several .gguf files (${ggufs.join(', ')}); pass one of them` : 'not a model directory: it has no config.json (and no .gguf file)';
    throw new ModelNotFoundError(path, detail);
  }
  return {
    kind: 'directory',
    name: path,
    readText: async (file) => (entries.includes(file) ? readFile(join(path, file), 'utf8') : undefined),
    open: (file) => openFileSource(join(path, file)),
  };
}
