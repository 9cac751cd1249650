import adamwSource from '../../wgsl/adamw.wgsl';
import argmaxSource from '../../wgsl/argmax.wgsl';
import attentionTrainingSource from '../../wgsl/attention-training.wgsl';
import attentionDecodeSource from '../../wgsl/attention-decode.wgsl';
import attentionSource from '../../wgsl/attention.wgsl';
import copyHalfSource from '../../wgsl/copy-half.wgsl';
import kvCacheReadSource from '../../wgsl/kv-cache-read.wgsl';
import elementwiseBackwardSource from '../../wgsl/elementwise-backward.wgsl';
import elementwiseSource from '../../wgsl/elementwise.wgsl';
import embeddingBackwardSource from '../../wgsl/embedding-backward.wgsl';
import embeddingSource from '../../wgsl/embedding.wgsl';
import epiloguePlainSource from '../../wgsl/epilogue-plain.wgsl';
import epilogueSwigluSource from '../../wgsl/epilogue-swiglu.wgsl';
import fillSource from '../../wgsl/fill.wgsl';
import gridSource from '../../wgsl/grid.wgsl';
import halfBitsSource from '../../wgsl/half-bits.wgsl';
import lossesSource from '../../wgsl/losses.wgsl';
import matmulSource from '../../wgsl/matmul.wgsl';
import matvecQuantSource from '../../wgsl/matvec-quant.wgsl';
import matvecSource from '../../wgsl/matvec.wgsl';
import normalizationBackwardSource from '../../wgsl/normalization-backward.wgsl';
import normalizationSource from '../../wgsl/normalization.wgsl';
import ropeAngleSource from '../../wgsl/rope-angle.wgsl';
import ropeAppendSource from '../../wgsl/rope-append.wgsl';
import ropeSource from '../../wgsl/rope.wgsl';
import rowSumSubgroupSource from '../../wgsl/row-sum-subgroup.wgsl';
import rowSumWorkgroupSource from '../../wgsl/row-sum-workgroup.wgsl';
import siluSource from '../../wgsl/silu.wgsl';
import softmaxSource from '../../wgsl/softmax.wgsl';
import sumOfSquaresSource from '../../wgsl/sum-of-squares.wgsl';
import weightsSource from '../../wgsl/weights.wgsl';
import workgroupReduceSource from '../../wgsl/workgroup-reduce.wgsl';

/**
 * One WGSL file per op family; variants come from `{{NAME}}` substitutions (weight dtype, head
 * dimension, layout flags) and pipelines are cached by file + entry point + substitutions, so each
 * variant compiles once per device.
 */
interface ShaderFile {
  source: string;
  /** Helper files concatenated in front (WGSL has no #include). */
  includes?: readonly string[];
  /** Uses `row_sum32`: gets the subgroup or the workgroup-memory version. */
  rowSum?: boolean;
  /**
   * Writes its outputs through `epilogue(index, value)`: gets epilogue-swiglu.wgsl when the
   * defines set SWIGLU (matmulSwiglu), otherwise epilogue-plain.wgsl.
   */
  epilogue?: boolean;
}

const SHADERS = {
  matmul: { source: matmulSource, includes: [weightsSource], epilogue: true },
  matvec: { source: matvecSource, includes: [weightsSource], rowSum: true, epilogue: true },
  'matvec-quant': { source: matvecQuantSource, rowSum: true, epilogue: true },
  attention: { source: attentionSource, includes: [kvCacheReadSource] },
  'attention-decode': { source: attentionDecodeSource, includes: [kvCacheReadSource] },
  normalization: { source: normalizationSource, includes: [gridSource, workgroupReduceSource] },
  softmax: { source: softmaxSource, includes: [gridSource, workgroupReduceSource] },
  argmax: { source: argmaxSource, includes: [gridSource] },
  rope: { source: ropeSource, includes: [gridSource, ropeAngleSource] },
  'rope-append': { source: ropeAppendSource, includes: [gridSource, ropeAngleSource, halfBitsSource] },
  elementwise: { source: elementwiseSource, includes: [gridSource, siluSource] },
  embedding: { source: embeddingSource, includes: [gridSource, weightsSource] },
  'copy-half': { source: copyHalfSource, includes: [gridSource, halfBitsSource] },
  // Training (webgpu-training.ts); rope backward and the matmul gradients are variants of their forward files.
  'attention-training': { source: attentionTrainingSource, includes: [gridSource] },
  'normalization-backward': { source: normalizationBackwardSource, includes: [gridSource, workgroupReduceSource] },
  'elementwise-backward': { source: elementwiseBackwardSource, includes: [gridSource] },
  'embedding-backward': { source: embeddingBackwardSource, includes: [gridSource] },
  losses: { source: lossesSource, includes: [gridSource, workgroupReduceSource] },
  adamw: { source: adamwSource, includes: [gridSource] },
  'sum-of-squares': { source: sumOfSquaresSource, includes: [gridSource, workgroupReduceSource] },
  fill: { source: fillSource, includes: [gridSource] },
} satisfies Record<string, ShaderFile>;

export type ShaderName = keyof typeof SHADERS;
export type Defines = Record<string, string | number | boolean>;

/** Fills `{{NAME}}` placeholders; a missing one is a programming error worth a loud message. */
export function substitute(source: string, defines: Defines, label: string): string {
  return source.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in defines)) throw new Error(`${label}: WGSL placeholder {{${name}}} has no value`);
    return String(defines[name]);
  });
}

export class PipelineCache {
  readonly #pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly subgroups: boolean,
    private readonly onCompileError: (message: string) => void,
  ) {}

  get size(): number {
    return this.#pipelines.size;
  }

  get(shader: ShaderName, entryPoint = 'main', defines: Defines = {}): GPUComputePipeline {
    const key = `${shader}:${entryPoint}:${JSON.stringify(defines)}`;
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ label: key, code: this.#compose(shader, defines) });
      void module.getCompilationInfo?.().then((info) => {
        const errors = info.messages.filter((message) => message.type === 'error');
        if (errors.length) {
          this.onCompileError(`WGSL ${key} does not compile: ${errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`).join('; ')}`);
        }
      });
      pipeline = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint } });
      this.#pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  #compose(shader: ShaderName, defines: Defines): string {
    const file: ShaderFile = SHADERS[shader];
    const parts = [...(file.includes ?? [])];
    const all: Defines = { ...defines };
    if (file.rowSum) {
      parts.push(this.subgroups ? rowSumSubgroupSource : rowSumWorkgroupSource);
      all.SUBGROUP_SIZE_PARAM = this.subgroups ? '@builtin(subgroup_size) subgroup_size: u32,' : '';
      all.SUBGROUP_SIZE = this.subgroups ? 'subgroup_size' : '1u';
      all.ROW_SUM = this.subgroups ? 'subgroupAdd' : 'workgroup memory';
    }
    if (file.epilogue) parts.push(...(defines.SWIGLU === true ? [siluSource, epilogueSwigluSource] : [epiloguePlainSource]));
    parts.push(file.source);
    const code = substitute(parts.join('\n'), all, shader);
    return file.rowSum && this.subgroups ? `enable subgroups;\n${code}` : code;
  }
}
