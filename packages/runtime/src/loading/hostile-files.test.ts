// Mutation tests of model loading: a valid project-generated model, corrupted at random (cut short,
// header bytes flipped, length and count fields overwritten with edge values, JSON values swapped
// for values of another type), must either load or be refused with one of the typed errors — never
// a RangeError / TypeError from deep inside a reader, a hang, or an allocation the file cannot back.
import { createReferenceBackend } from '@cria/kernels';
import { TokenizerError } from '@cria/tokenizer';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../engine/engine-errors.js';
import { ModelFormatError } from '../formats/errors.js';
import { GgufFile } from '../formats/gguf/gguf-file.js';
import { SAFETENSORS_INDEX_FILE } from '../formats/safetensors/sharded-safetensors.js';
import { MemoryByteSource } from '../formats/sources/byte-source.js';
import { mutateJson } from '../formats/test-model/mutate-json.js';
import { SeededRandom } from '../formats/test-model/seeded-random.js';
import { ModelConfigError } from '../model/model-config.js';
import { TINY_LLAMA } from '../formats/test-model/test-model-config.js';
import { writeTestModel } from '../formats/test-model/write-test-model.js';
import { writeTestModels, type TestModelFiles } from '../testing/test-model-files.js';
import { loadModel } from './load-model.js';

let files: TestModelFiles;
let scratch: string;
/** The Llama test model's Hugging Face form in two shards and their index. */
let sharded: string;

beforeAll(async () => {
  files = await writeTestModels();
  scratch = await mkdtemp(join(tmpdir(), 'cria-hostile-'));
  await writeTestModel(join(scratch, 'sharded'), TINY_LLAMA, { hfShards: 2, ggufTypes: [] });
  sharded = join(scratch, 'sharded', 'hf');
  // k-quant rows are whole 256-value super-blocks: a Llama whose hidden and FFN sizes are multiples of 256.
  await writeTestModel(join(scratch, 'k-quants'), { ...TINY_LLAMA, hiddenSize: 256, intermediateSize: 512, seed: 4 }, { ggufTypes: ['Q4_K_M'] });
});
afterAll(async () => {
  await files?.remove();
  await rm(scratch, { recursive: true, force: true });
});

const TYPED_ERRORS = [ModelFormatError, ModelConfigError, TokenizerError, EngineError];
/** Far beyond a tiny model's load (a few ms): reaching it means a reader spins or waits forever. */
const HANG_MS = 10_000;
const ROUNDS = Number(process.env.CRIA_MUTATION_ROUNDS ?? 150);

type Outcome = { loaded: true } | { loaded: false; error: unknown };

async function tryLoad(location: string): Promise<Outcome> {
  const backend = createReferenceBackend();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`loading ${location} did not finish in ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const { model } = await Promise.race([loadModel(location, backend), hang]);
    // A file whose corruption only touched weight bytes loads; the model must still run.
    await model.forward([1, 2, 3], model.createCache(8));
    return { loaded: true };
  } catch (error) {
    return { loaded: false, error };
  } finally {
    clearTimeout(timer);
    backend.dispose();
  }
}

/** Collects what each mutation led to that is not a typed refusal: the mutation, the error's class and message. */
class Untyped {
  readonly found: string[] = [];
  /** Outcomes by error class and code; CRIA_MUTATION_LOG=1 prints them, to see the mutations get past the first checks. */
  readonly tally = new Map<string, number>();

  check(outcome: Outcome, mutation: string): void {
    const kind = outcome.loaded ? 'loaded' : outcome.error instanceof Error ? `${outcome.error.constructor.name} ${(outcome.error as { code?: string }).code ?? ''}` : 'thrown';
    this.tally.set(kind, (this.tally.get(kind) ?? 0) + 1);
    if (outcome.loaded) return;
    const { error } = outcome;
    if (TYPED_ERRORS.some((type) => error instanceof type)) return;
    const where = error instanceof Error ? (error.stack?.split('\n')[1]?.trim() ?? '') : '';
    this.found.push(`${mutation} → ${error instanceof Error ? `${error.constructor.name}: ${error.message.split('\n')[0]} ${where}` : String(error)}`);
  }
}

/** Values that break length, count and offset fields: zero, sign and width boundaries, 2^53 and past it. */
const EDGE_U64 = [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

interface ByteMutation {
  describe: string;
  apply(bytes: Uint8Array): Uint8Array;
}

/** A random corruption of a binary model file: the header (its first `headerBytes`) is where it bites. */
function byteMutation(random: SeededRandom, size: number, headerBytes: number): ByteMutation {
  const at = (limit: number) => Math.floor(random.uniform() * limit);
  const kind = at(3);
  if (kind === 0) {
    const length = random.uniform() < 0.7 ? at(headerBytes) : at(size);
    return { describe: `cut to ${length} bytes`, apply: (bytes) => bytes.slice(0, length) };
  }
  if (kind === 1) {
    const flips = Array.from({ length: 1 + at(4) }, () => [at(headerBytes), 1 << at(8)] as const);
    return {
      describe: `bits flipped at ${flips.map(([offset, bit]) => `${offset}^${bit}`).join(', ')}`,
      apply: (bytes) => {
        const copy = bytes.slice();
        for (const [offset, bit] of flips) copy[offset]! ^= bit;
        return copy;
      },
    };
  }
  const offset = at(headerBytes - 8);
  const value = EDGE_U64[at(EDGE_U64.length)]!;
  const width = random.uniform() < 0.5 ? 4 : 8;
  return {
    describe: `u${width * 8} at ${offset} set to ${value & ((1n << BigInt(width * 8)) - 1n)}`,
    apply: (bytes) => {
      const copy = bytes.slice();
      const view = new DataView(copy.buffer);
      if (width === 8) view.setBigUint64(offset, value, true);
      else view.setUint32(offset, Number(value & 0xffffffffn), true);
      return copy;
    },
  };
}

/**
 * A GGUF metadata value overwritten where it lies (the key's bytes are followed by a u32 type id and
 * the value): the value set to an edge number, or the type id changed so the rest of the header is
 * read as another type. Random offsets alone seldom hit the dozen keys the config comes from.
 */
function ggufMetadataMutation(random: SeededRandom, original: Uint8Array, file: GgufFile): ByteMutation {
  const scalars = [...file.metadata].filter(([, value]) => value.type !== 'array' && value.type !== 'string');
  const [key, value] = scalars[Math.floor(random.uniform() * scalars.length)]!;
  const keyBytes = new TextEncoder().encode(key);
  const typeOffset = Buffer.from(original.buffer, original.byteOffset, original.length).indexOf(keyBytes) + keyBytes.length;
  const retype = random.uniform() < 0.3;
  const typeId = Math.floor(random.uniform() * 16);
  const edge = [0, 1, -1, 2 ** 31, 2 ** 32 - 1, 3, 7, NaN, Infinity, 1e-30][Math.floor(random.uniform() * 10)]!;
  return {
    describe: retype ? `${key}'s type id set to ${typeId}` : `${key} (${value.type}) set to ${edge}`,
    apply: (bytes) => {
      const copy = bytes.slice();
      const view = new DataView(copy.buffer);
      if (retype) view.setUint32(typeOffset, typeId, true);
      else if (value.type === 'f32') view.setFloat32(typeOffset + 4, edge, true);
      else if (value.type === 'u32' || value.type === 'i32') view.setUint32(typeOffset + 4, edge >>> 0, true);
      else copy[typeOffset + 4] = edge & 0xff;
      return copy;
    },
  };
}
/** A safetensors header is its 8-byte length and the JSON it announces. */
const safetensorsHeaderBytes = (bytes: Uint8Array) => 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

describe('a corrupted model file loads or is refused with a typed error', () => {
  // Llama in every stored type, Llama 3 (rope scaling metadata and its rope_freqs tensor) and Qwen2 (q/k/v biases).
  it.each([
    ['llama', 'f32'],
    ['llama', 'f16'],
    ['llama', 'q8_0'],
    ['llama', 'q4_0'],
    ['llama', 'q4_k_m'],
    ['llama3', 'f32'],
    ['qwen2', 'q8_0'],
  ] as const)(`GGUF %s %s: ${ROUNDS} random corruptions of the metadata, the header and cuts`, async (model, type) => {
    const directory = type === 'q4_k_m' ? join(scratch, 'k-quants') : files[model];
    const original = new Uint8Array(await readFile(join(directory, `model-${type}.gguf`)));
    // The header is everything before the (aligned) tensor data: metadata, vocabulary, tensor infos.
    const parsed = await GgufFile.open(new MemoryByteSource(original, 'original.gguf'));
    const path = join(scratch, `mutated-${model}-${type}.gguf`);
    const random = new SeededRandom(0x66_75_7a + type.charCodeAt(1) * 31 + type.length + model.length * 7);
    const untyped = new Untyped();
    for (let i = 0; i < ROUNDS; i++) {
      const mutation = random.uniform() < 0.3 ? ggufMetadataMutation(random, original, parsed) : byteMutation(random, original.length, parsed.dataOffset);
      await writeFile(path, mutation.apply(original));
      // A mutation that kills the process (a heap exhausted) leaves no tally: this names it first.
      if (process.env.CRIA_MUTATION_TRACE) console.error(`GGUF ${model} ${type} #${i}: ${mutation.describe}`);
      untyped.check(await tryLoad(path), `GGUF ${model} ${type}: ${mutation.describe}`);
    }
    if (process.env.CRIA_MUTATION_LOG) console.error([...untyped.tally].sort((a, b) => b[1] - a[1]));
    expect(untyped.found).toEqual([]);
  });

  // F32 (Qwen2, with biases) and BF16 (Llama): the header's dtype strings and sizes differ.
  it.each(['F32', 'BF16'] as const)(`Hugging Face %s safetensors: ${ROUNDS} random corruptions of its header and cuts`, async (dtype) => {
    const directory = join(scratch, `hf-safetensors-${dtype}`);
    if (dtype === 'BF16') await writeTestModel(join(scratch, 'bf16'), TINY_LLAMA, { hfDtype: 'BF16', ggufTypes: [] });
    await cp(join(dtype === 'F32' ? files.qwen2 : join(scratch, 'bf16'), 'hf'), directory, { recursive: true });
    const weightsPath = join(directory, 'model.safetensors');
    const original = new Uint8Array(await readFile(weightsPath));
    const random = new SeededRandom(0x5afe + dtype.length);
    const untyped = new Untyped();
    for (let i = 0; i < ROUNDS; i++) {
      const mutation = byteMutation(random, original.length, safetensorsHeaderBytes(original));
      await writeFile(weightsPath, mutation.apply(original));
      untyped.check(await tryLoad(directory), `model.safetensors: ${mutation.describe}`);
    }
    if (process.env.CRIA_MUTATION_LOG) console.error([...untyped.tally].sort((a, b) => b[1] - a[1]));
    expect(untyped.found).toEqual([]);
  });

  // Llama 3's config.json carries the rope_scaling object; Qwen2's tokenizer_config.json its own chat template.
  it.each([
    ['config.json', 'llama'],
    ['config.json', 'llama3'],
    ['tokenizer.json', 'llama'],
    ['tokenizer_config.json', 'llama'],
    ['tokenizer_config.json', 'qwen2'],
    [SAFETENSORS_INDEX_FILE, 'llama'],
  ] as const)(`Hugging Face %s (%s): ${ROUNDS} values of the wrong kind, deleted keys and cuts`, async (name, model) => {
    const directory = join(scratch, `hf-${model}-${name}`);
    await cp(name === SAFETENSORS_INDEX_FILE ? sharded : join(files[model], 'hf'), directory, { recursive: true });
    const path = join(directory, name);
    const text = await readFile(path, 'utf8');
    const document: unknown = JSON.parse(text);
    const random = new SeededRandom(name.length * 7919 + model.length);
    const untyped = new Untyped();
    for (let i = 0; i < ROUNDS; i++) {
      let mutated: string;
      let describe: string;
      if (random.uniform() < 0.15) {
        const length = Math.floor(random.uniform() * text.length);
        mutated = text.slice(0, length);
        describe = `cut to ${length} characters`;
      } else {
        const mutation = mutateJson(random, document);
        mutated = JSON.stringify(mutation.value);
        describe = mutation.describe;
      }
      await writeFile(path, mutated);
      untyped.check(await tryLoad(directory), `${name}: ${describe}`);
    }
    if (process.env.CRIA_MUTATION_LOG) console.error([...untyped.tally].sort((a, b) => b[1] - a[1]));
    expect(untyped.found).toEqual([]);
  });
});
