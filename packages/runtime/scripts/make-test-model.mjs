#!/usr/bin/env node
// Writes a tiny random-weight Llama-family model in Hugging Face form (<out>/hf/) and GGUF form
// (<out>/model-<type>.gguf). Deterministic: the same options give the same bytes.
// Uses the built package: run `npm run build -w @cria/runtime` first.
//
//   node packages/runtime/scripts/make-test-model.mjs --out /tmp/tiny-llama
//   node packages/runtime/scripts/make-test-model.mjs --out /tmp/tiny-qwen2 --arch qwen2 --gguf q8_0,q4_0 --hf-dtype BF16
import { parseArgs } from 'node:util';
import { TINY_LLAMA, TINY_LLAMA3, TINY_QWEN2, writeTestModel } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    arch: { type: 'string', default: 'llama' },
    seed: { type: 'string' },
    hidden: { type: 'string' },
    intermediate: { type: 'string' },
    layers: { type: 'string' },
    heads: { type: 'string' },
    'kv-heads': { type: 'string' },
    vocab: { type: 'string' },
    'rope-theta': { type: 'string' },
    'logit-std': { type: 'string' },
    tie: { type: 'boolean' },
    'no-tie': { type: 'boolean' },
    'hf-dtype': { type: 'string', default: 'F32' },
    gguf: { type: 'string', default: 'f32,f16,q8_0,q4_0' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || !values.out) {
  console.log(`usage: make-test-model.mjs --out <dir> [--arch llama|llama3|qwen2] [--seed N] [--hidden N] [--intermediate N]
  [--layers N] [--heads N] [--kv-heads N] [--vocab N] [--rope-theta X] [--logit-std X] [--tie|--no-tie]
  [--hf-dtype F32|F16|BF16] [--gguf f32,f16,q8_0,q4_0,q4_k_m]`);
  process.exit(values.help ? 0 : 1);
}
const BASES = { llama: TINY_LLAMA, llama3: TINY_LLAMA3, qwen2: TINY_QWEN2 };
if (!Object.hasOwn(BASES, values.arch)) {
  console.error(`--arch must be llama, llama3 (llama3 RoPE scaling) or qwen2, got ${values.arch}`);
  process.exit(1);
}

const base = BASES[values.arch];
const number = (name, fallback) => {
  if (values[name] === undefined) return fallback;
  const parsed = Number(values[name]);
  if (!Number.isFinite(parsed)) {
    console.error(`--${name} must be a number, got ${values[name]}`);
    process.exit(1);
  }
  return parsed;
};
const config = {
  ...base,
  seed: number('seed', base.seed),
  hiddenSize: number('hidden', base.hiddenSize),
  intermediateSize: number('intermediate', base.intermediateSize),
  numLayers: number('layers', base.numLayers),
  numHeads: number('heads', base.numHeads),
  numKvHeads: number('kv-heads', base.numKvHeads),
  vocabSize: number('vocab', base.vocabSize),
  ropeTheta: number('rope-theta', base.ropeTheta),
  logitStd: number('logit-std', base.logitStd),
  tieWordEmbeddings: values.tie ? true : values['no-tie'] ? false : base.tieWordEmbeddings,
};
const ggufTypes = values.gguf === '' ? [] : values.gguf.split(',').map((type) => type.trim().toUpperCase());
for (const type of ggufTypes) {
  if (!['F32', 'F16', 'Q8_0', 'Q4_0', 'Q4_K_M'].includes(type)) {
    console.error(`--gguf types must be among f32, f16, q8_0, q4_0, q4_k_m (needs sizes that are multiples of 256); got ${type}`);
    process.exit(1);
  }
}
const hfDtype = values['hf-dtype'].toUpperCase();
if (!['F32', 'F16', 'BF16'].includes(hfDtype)) {
  console.error(`--hf-dtype must be F32, F16 or BF16; got ${values['hf-dtype']}`);
  process.exit(1);
}

try {
  const written = await writeTestModel(values.out, config, { hfDtype, ggufTypes });
  for (const path of written) console.log(path);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
