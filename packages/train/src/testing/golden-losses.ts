import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Divergence } from '@cria/kernels';
import { MemoryByteSource, SafetensorsFile } from '@cria/runtime';
import { GOLDEN_MAGIC, GOLDEN_VERSION } from './golden-fixture.js';

/** One case of the fused-loss golden: a distillation divergence, or cross-entropy when `divergence` is absent. */
export interface GoldenLossCase {
  name: string;
  divergence?: Divergence;
  beta?: number;
  temperature?: number;
  /** 'full' or 'top-<k>' */
  teacher?: string;
  /** top-k only: [rows, k] teacher token ids, and their log-probabilities at the temperature */
  indices?: number[][];
  teacherLogprobs?: Float32Array;
  loss: number;
  dstudent: Float32Array; // [rows, V]: d(loss)/d(student logits)
}

/** The float64 PyTorch losses written by scripts/make-golden.py (`main_distillation`). */
export interface GoldenLosses {
  rows: number;
  vocabulary: number;
  studentLogits: Float32Array; // [rows, V]
  teacherLogits: Float32Array; // [rows, V]
  /** distillation: rows with 0 are not counted */
  mask: Int32Array; // [rows]
  /** cross-entropy: −100 is ignored */
  targets: Int32Array; // [rows]
  cases: GoldenLossCase[];
}

export async function loadGoldenLosses(): Promise<GoldenLosses> {
  const file = join(import.meta.dirname, '../../fixtures/golden-distillation.safetensors');
  const reader = await SafetensorsFile.open(new MemoryByteSource(new Uint8Array(await readFile(file)), file));
  const meta = reader.metadata;
  if (meta['magic'] !== GOLDEN_MAGIC || meta['version'] !== String(GOLDEN_VERSION) || meta['kind'] !== 'distillation') {
    throw new Error(`${file}: magic/version/kind ${meta['magic']}/${meta['version']}/${meta['kind']}, expected ${GOLDEN_MAGIC}/${GOLDEN_VERSION}/distillation. Hint: regenerate it with scripts/make-golden.py distillation`);
  }
  const tensor = async (name: string) => (await reader.read(name)).data as Float32Array;
  const [rows, vocabulary] = JSON.parse(meta['shape']!) as [number, number];
  const cases: GoldenLossCase[] = [];
  for (const entry of JSON.parse(meta['cases']!) as Array<Omit<GoldenLossCase, 'dstudent' | 'teacherLogprobs'>>) {
    const logprobs = `cases.${entry.name}.teacher_logprobs`;
    cases.push({
      ...entry,
      teacherLogprobs: reader.tensors.has(logprobs) ? await tensor(logprobs) : undefined,
      dstudent: await tensor(`cases.${entry.name}.dstudent`),
    });
  }
  return {
    rows,
    vocabulary,
    studentLogits: await tensor('student_logits'),
    teacherLogits: await tensor('teacher_logits'),
    mask: Int32Array.from(JSON.parse(meta['mask']!) as number[]),
    targets: Int32Array.from(JSON.parse(meta['targets']!) as number[]),
    cases,
  };
}
