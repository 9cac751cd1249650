import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../chunks.js';
import { MissingShardError, ModelFormatError } from '../errors.js';
import { MemoryByteSource } from '../sources/byte-source.js';
import { openSafetensors } from './open-safetensors.js';
import { encodeSafetensors } from './safetensors-writer.js';
import { SAFETENSORS_INDEX_FILE, ShardedSafetensors, type OpenShard } from './sharded-safetensors.js';

const shardA = concatBytes(encodeSafetensors([{ name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]));
const shardB = concatBytes(
  encodeSafetensors([
    { name: 'b', dtype: 'F32', shape: [1], data: new Float32Array([3]) },
    { name: 'c', dtype: 'F32', shape: [1], data: new Float32Array([4]) },
  ]),
);
const shards: Record<string, Uint8Array> = { 'model-00001-of-00002.safetensors': shardA, 'model-00002-of-00002.safetensors': shardB };
const openShard: OpenShard = async (file) => {
  const bytes = shards[file];
  if (!bytes) throw new Error(`ENOENT: ${file}`);
  return new MemoryByteSource(bytes, file);
};
const index = (weightMap: Record<string, unknown>) => JSON.stringify({ metadata: { total_size: 16 }, weight_map: weightMap });
const goodMap = { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' };

describe('sharded safetensors', () => {
  it('reads tensors across shards through the index', async () => {
    const checkpoint = await ShardedSafetensors.open(SAFETENSORS_INDEX_FILE, index(goodMap), openShard);
    expect([...checkpoint.tensors.keys()]).toEqual(['a', 'b', 'c']);
    expect(checkpoint.tensors.get('c')!.file).toBe('model-00002-of-00002.safetensors');
    expect([...((await checkpoint.read('a')).data as Float32Array)]).toEqual([1, 2]);
    expect([...((await checkpoint.read('c')).data as Float32Array)]).toEqual([4]);
    expect(checkpoint.metadata).toEqual({ total_size: 16 });
  });

  it('names a missing shard file', async () => {
    const error = await ShardedSafetensors.open(SAFETENSORS_INDEX_FILE, index({ ...goodMap, d: 'model-00003-of-00003.safetensors' }), openShard).catch((caught) => caught);
    expect(error).toBeInstanceOf(MissingShardError);
    expect(error.message).toMatch(/model-00003-of-00003\.safetensors/);
    expect(error.subject).toBe('d');
  });

  it('rejects a tensor the index promises but its shard lacks', async () => {
    const error = await ShardedSafetensors.open(SAFETENSORS_INDEX_FILE, index({ ...goodMap, z: 'model-00001-of-00002.safetensors' }), openShard).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'missing-tensor', subject: 'z' });
  });

  it('rejects bad index JSON, a missing weight_map and shard paths that leave the directory', async () => {
    const open = (text: string) => ShardedSafetensors.open(SAFETENSORS_INDEX_FILE, text, openShard).catch((caught: ModelFormatError) => caught);
    expect(await open('{')).toMatchObject({ code: 'invalid-json' });
    expect(await open('{"metadata": {}}')).toMatchObject({ code: 'invalid-header' });
    expect(await open(index({ a: '../../etc/passwd' }))).toMatchObject({ code: 'invalid-header', subject: 'a' });
    expect(await open(index({ a: 7 }))).toMatchObject({ code: 'invalid-header' });
  });
});

describe('openSafetensors on disk', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cria-safetensors-'));
    for (const [name, bytes] of Object.entries(shards)) await writeFile(join(directory, name), bytes);
    await writeFile(join(directory, SAFETENSORS_INDEX_FILE), index(goodMap));
    await writeFile(join(directory, 'single.safetensors'), shardB);
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('opens a directory through its index, and a single file', async () => {
    const checkpoint = await openSafetensors(directory);
    expect([...((await checkpoint.read('b')).data as Float32Array)]).toEqual([3]);
    await checkpoint.close();
    const single = await openSafetensors(join(directory, 'single.safetensors'));
    expect([...single.tensors.keys()]).toEqual(['b', 'c']);
    await single.close();
  });

  it('names a missing path or an empty directory', async () => {
    await expect(openSafetensors(join(directory, 'nope'))).rejects.toMatchObject({ code: 'file-not-found' });
    const empty = await mkdtemp(join(tmpdir(), 'cria-empty-'));
    await expect(openSafetensors(empty)).rejects.toThrow(/neither model\.safetensors\.index\.json nor model\.safetensors/);
    await rm(empty, { recursive: true });
  });

  it('reports a shard deleted from disk', async () => {
    await rm(join(directory, 'model-00002-of-00002.safetensors'));
    await expect(openSafetensors(directory)).rejects.toBeInstanceOf(MissingShardError);
    await writeFile(join(directory, 'model-00002-of-00002.safetensors'), shardB);
  });
});
