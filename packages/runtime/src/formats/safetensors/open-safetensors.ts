import { formatError } from '../errors.js';
import { openFileSource } from '../sources/node-file-source.js';
import { SafetensorsFile } from './safetensors-file.js';
import { SAFETENSORS_INDEX_FILE, ShardedSafetensors } from './sharded-safetensors.js';

/**
 * Opens safetensors weights from disk (Node): a `.safetensors` file, a `model.safetensors.index.json`,
 * or a model directory holding either (the index wins, as in transformers).
 */
export async function openSafetensors(path: string): Promise<SafetensorsFile | ShardedSafetensors> {
  const { stat, readFile } = await import('node:fs/promises');
  const { join, dirname, basename } = await import('node:path');
  const exists = async (candidate: string) => (await stat(candidate).catch(() => undefined)) !== undefined;
  let target = path;
  const info = await stat(path).catch(() => undefined);
  if (!info) throw formatError('file-not-found', path, 'no such file or directory', 'check the path to the model directory or .safetensors file');
  if (info.isDirectory()) {
    if (await exists(join(path, SAFETENSORS_INDEX_FILE))) target = join(path, SAFETENSORS_INDEX_FILE);
    else if (await exists(join(path, 'model.safetensors'))) target = join(path, 'model.safetensors');
    else {
      throw formatError('file-not-found', path, `the directory has neither ${SAFETENSORS_INDEX_FILE} nor model.safetensors`, 'point at a Hugging Face model directory (or download its weights into this one)');
    }
  }
  if (target.endsWith('.json')) {
    const directory = dirname(target);
    return ShardedSafetensors.open(basename(target), await readFile(target, 'utf8'), (file) => openFileSource(join(directory, file)));
  }
  return SafetensorsFile.open(await openFileSource(target));
}
