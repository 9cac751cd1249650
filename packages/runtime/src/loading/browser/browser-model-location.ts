import type { LoadProgress } from '../../engine/api-types.js';
import { InvalidRequestError, ModelNotFoundError } from '../../engine/engine-errors.js';
import { BlobByteSource } from '../../formats/sources/byte-source.js';
import type { ModelLocation } from '../model-location.js';
import { downloadFile, type CacheLike } from './cached-download.js';
import { DownloadError } from './download-errors.js';

/**
 * A model for the browser, in a form that can be posted to a worker (structured-cloneable):
 * - `{ url }`: a Hugging Face directory URL (config.json, model.safetensors or a sharded index,
 *   tokenizer.json, tokenizer_config.json) or a `.gguf` URL. Files are downloaded whole with progress,
 *   kept in the Cache API and resumed after an interruption; `sha256` checks them (a hex string for a
 *   .gguf, or file name → hex for a directory).
 * - `{ files }`: local files (a directory picker or drag-and-drop): the directory's files, or one .gguf.
 */
export type BrowserModelSource =
  | { url: string; sha256?: string | Record<string, string>; cache?: boolean }
  | { files: ReadonlyArray<File | NamedBlob> };

/** A file as a name and its bytes (what a File becomes on its way to a worker: some runtimes drop File names in a structured clone). */
export interface NamedBlob {
  name: string;
  blob: Blob;
  /** The path under the picked directory (File.webkitRelativePath), when known. */
  path?: string;
}

/** Files as NamedBlobs, which survive structured clone everywhere. */
export function namedBlobs(files: ReadonlyArray<File | NamedBlob>): NamedBlob[] {
  return files.map((file) => ('blob' in file ? file : { name: file.name, blob: file, path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || undefined }));
}

export interface BrowserLocationOptions {
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  /** Overrides the cache (tests); default the Cache API's `cria-models`. */
  cache?: CacheLike | null;
}

export function isBrowserModelSource(value: unknown): value is BrowserModelSource {
  if (typeof value !== 'object' || value === null) return false;
  return typeof (value as { url?: unknown }).url === 'string' || Array.isArray((value as { files?: unknown }).files);
}

/** Turns a BrowserModelSource into the ModelLocation the loader reads (pass it as EngineOptions.model). */
export function browserModelLocation(source: BrowserModelSource, options: BrowserLocationOptions = {}): ModelLocation {
  if ('files' in source) return filesLocation(source.files);
  return urlLocation(source, options);
}

const isGguf = (name: string) => /\.gguf(\?.*)?$/i.test(name);

function urlLocation(source: Extract<BrowserModelSource, { url: string }>, options: BrowserLocationOptions): ModelLocation {
  const { url } = source;
  if (typeof source.sha256 === 'string' && !isGguf(url)) {
    throw new InvalidRequestError(`a single sha256 names one file, but ${url} is a model folder; pass { 'model.safetensors': '<hex>', … } instead`, 'sha256');
  }
  const hashOf = (file: string) => (typeof source.sha256 === 'string' ? source.sha256 : source.sha256?.[file]);
  const download = (fileUrl: string, file: string) =>
    downloadFile(fileUrl, {
      cache: source.cache === false ? null : options.cache,
      sha256: hashOf(file),
      onProgress: options.onProgress,
      signal: options.signal,
    });
  if (isGguf(url)) {
    const file = url.split('/').pop()!;
    return { kind: 'gguf', name: url, open: async () => new BlobByteSource(await download(url, file), url) };
  }
  const base = url.endsWith('/') ? url : `${url}/`;
  return {
    kind: 'directory',
    name: url,
    async readText(file) {
      try {
        return await (await download(base + file, file)).text();
      } catch (error) {
        // Optional files (generation_config.json, a shard index) are simply absent.
        if (error instanceof DownloadError && error.httpStatus === 404) return undefined;
        throw error;
      }
    },
    open: async (file) => new BlobByteSource(await download(base + file, file), base + file),
  };
}

function filesLocation(given: ReadonlyArray<File | NamedBlob>): ModelLocation {
  const files = namedBlobs(given);
  // A directory picker gives paths (webkitRelativePath); the loader asks by base name.
  const byName = new Map<string, Blob>();
  for (const file of files) byName.set(file.name, file.blob);
  const name = files[0]?.path?.includes('/') ? files[0].path.split('/')[0]! : 'local files';
  if (!byName.has('config.json')) {
    const ggufs = files.filter((file) => isGguf(file.name));
    if (ggufs.length === 1) return { kind: 'gguf', name: ggufs[0]!.name, open: async () => new BlobByteSource(ggufs[0]!.blob, ggufs[0]!.name) };
    const detail =
      ggufs.length > 1
        ? `several .gguf files were given (${ggufs.map((file) => file.name).join(', ')}); pick one`
        : `no config.json and no .gguf among ${files.length} file(s) (${[...byName.keys()].slice(0, 5).join(', ')}); pick the model directory or a .gguf file`;
    throw new ModelNotFoundError(name, detail);
  }
  return {
    kind: 'directory',
    name,
    readText: async (file) => byName.get(file)?.text(),
    async open(file) {
      const blob = byName.get(file);
      if (!blob) throw new ModelNotFoundError(name, `${file} is missing from the files given; add it to the selection`);
      return new BlobByteSource(blob, file);
    },
  };
}
