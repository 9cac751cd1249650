import { MissingShardError, MissingTensorError, formatError } from '../errors.js';
import type { HostTensor, WeightReader } from '../host-tensor.js';
import type { ByteSource } from '../sources/byte-source.js';
import type { SafetensorsTensorInfo } from './safetensors-header.js';
import { SafetensorsFile } from './safetensors-file.js';

/** The file Hugging Face writes beside sharded checkpoints. */
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

/** Opens a file of the checkpoint by its name (relative to the index); throws if it is missing. */
export type OpenShard = (fileName: string) => Promise<ByteSource>;

export interface ShardedTensorInfo extends SafetensorsTensorInfo {
  /** The shard file holding the tensor. */
  readonly file: string;
}

/**
 * A sharded checkpoint: `model.safetensors.index.json` maps each tensor to a shard
 * (`{ "metadata": {...}, "weight_map": { name: "model-00001-of-00002.safetensors" } }`).
 * Every shard's header is read and checked against the map up front, so a missing shard or a
 * tensor the index promises but no shard holds fails at open, not halfway through loading.
 */
export class ShardedSafetensors implements WeightReader {
  private constructor(
    readonly indexName: string,
    readonly shards: ReadonlyMap<string, SafetensorsFile>,
    readonly tensors: ReadonlyMap<string, ShardedTensorInfo>,
    readonly metadata: Readonly<Record<string, unknown>>,
  ) {}

  static async open(indexName: string, indexText: string, openShard: OpenShard): Promise<ShardedSafetensors> {
    const { weightMap, metadata } = parseIndex(indexName, indexText);
    const shardNames = [...new Set(Object.values(weightMap))];
    const shards = new Map<string, SafetensorsFile>();
    try {
      for (const shardName of shardNames) {
        let source: ByteSource;
        try {
          source = await openShard(shardName);
        } catch (error) {
          const tensor = Object.keys(weightMap).find((name) => weightMap[name] === shardName)!;
          throw new MissingShardError(indexName, shardName, tensor, error);
        }
        shards.set(shardName, await SafetensorsFile.open(source));
      }
      const tensors = new Map<string, ShardedTensorInfo>();
      for (const [name, shardName] of Object.entries(weightMap)) {
        const info = shards.get(shardName)!.tensors.get(name);
        if (!info) throw new MissingTensorError(shardName, name, `the index ${indexName} maps '${name}' to '${shardName}', which does not hold it; re-download the shard`);
        tensors.set(name, { ...info, file: shardName });
      }
      return new ShardedSafetensors(indexName, shards, tensors, metadata);
    } catch (error) {
      await Promise.all([...shards.values()].map((shard) => shard.close()));
      throw error;
    }
  }

  private shardOf(name: string): SafetensorsFile {
    const info = this.tensors.get(name);
    if (!info) throw new MissingTensorError(this.indexName, name);
    return this.shards.get(info.file)!;
  }

  readBytes(name: string): Promise<Uint8Array> {
    return this.shardOf(name).readBytes(name);
  }

  read(name: string): Promise<HostTensor> {
    return this.shardOf(name).read(name);
  }

  readRows(name: string, firstRow: number, rowCount: number, scratch?: Uint8Array): Promise<HostTensor> {
    return this.shardOf(name).readRows(name, firstRow, rowCount, scratch);
  }

  chunks(name: string, chunkBytes?: number): AsyncIterable<Uint8Array> {
    return this.shardOf(name).chunks(name, chunkBytes);
  }

  async close(): Promise<void> {
    await Promise.all([...this.shards.values()].map((shard) => shard.close()));
  }
}

function parseIndex(indexName: string, text: string): { weightMap: Record<string, string>; metadata: Record<string, unknown> } {
  const hint = 'the index is corrupt; re-download model.safetensors.index.json';
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw formatError('invalid-json', indexName, `the index is not valid JSON (${(error as Error).message})`, hint);
  }
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(root) || !isObject(root['weight_map'])) {
    throw formatError('invalid-header', indexName, 'the index has no weight_map object', hint, { expected: '{ "weight_map": { tensor: file } }' });
  }
  const weightMap = root['weight_map'];
  for (const [name, file] of Object.entries(weightMap)) {
    // Shard names come from a possibly hostile file: a plain name only, never a path out of the directory.
    if (typeof file !== 'string' || file === '' || file === '.' || file === '..' || /[/\\]/.test(file)) {
      throw formatError('invalid-header', indexName, `weight_map['${name}'] is not a plain shard file name`, hint, { subject: name, expected: 'a file name like model-00001-of-00002.safetensors', got: JSON.stringify(file) });
    }
  }
  return { weightMap: weightMap as Record<string, string>, metadata: isObject(root['metadata']) ? root['metadata'] : {} };
}
