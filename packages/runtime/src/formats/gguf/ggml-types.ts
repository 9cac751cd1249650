/**
 * ggml tensor types as GGUF stores them (`enum ggml_type`), with their block layouts. The table
 * lists every type with a fixed block layout so that files with types Cria cannot load still
 * parse (their metadata and tokenizer are readable); reading such a tensor is what fails.
 */
export interface GgmlTypeInfo {
  readonly id: number;
  readonly name: string;
  /** Values per block (1 for plain types); a row (dims[0]) must be whole blocks. */
  readonly blockSize: number;
  readonly blockBytes: number;
}

const TABLE: readonly GgmlTypeInfo[] = [
  { id: 0, name: 'F32', blockSize: 1, blockBytes: 4 },
  { id: 1, name: 'F16', blockSize: 1, blockBytes: 2 },
  { id: 2, name: 'Q4_0', blockSize: 32, blockBytes: 18 },
  { id: 3, name: 'Q4_1', blockSize: 32, blockBytes: 20 },
  { id: 6, name: 'Q5_0', blockSize: 32, blockBytes: 22 },
  { id: 7, name: 'Q5_1', blockSize: 32, blockBytes: 24 },
  { id: 8, name: 'Q8_0', blockSize: 32, blockBytes: 34 },
  { id: 9, name: 'Q8_1', blockSize: 32, blockBytes: 36 },
  { id: 10, name: 'Q2_K', blockSize: 256, blockBytes: 84 },
  { id: 11, name: 'Q3_K', blockSize: 256, blockBytes: 110 },
  { id: 12, name: 'Q4_K', blockSize: 256, blockBytes: 144 },
  { id: 13, name: 'Q5_K', blockSize: 256, blockBytes: 176 },
  { id: 14, name: 'Q6_K', blockSize: 256, blockBytes: 210 },
  { id: 15, name: 'Q8_K', blockSize: 256, blockBytes: 292 },
  { id: 24, name: 'I8', blockSize: 1, blockBytes: 1 },
  { id: 25, name: 'I16', blockSize: 1, blockBytes: 2 },
  { id: 26, name: 'I32', blockSize: 1, blockBytes: 4 },
  { id: 27, name: 'I64', blockSize: 1, blockBytes: 8 },
  { id: 28, name: 'F64', blockSize: 1, blockBytes: 8 },
  { id: 30, name: 'BF16', blockSize: 1, blockBytes: 2 },
];

/** Names of ids ggml defines whose layouts this table leaves out (importance-matrix quants, removed types). */
const OTHER_NAMES: Readonly<Record<number, string>> = {
  4: 'Q4_2 (removed)', 5: 'Q4_3 (removed)', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 29: 'IQ1_M',
  31: 'Q4_0_4_4 (removed)', 32: 'Q4_0_4_8 (removed)', 33: 'Q4_0_8_8 (removed)', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

const BY_ID = new Map(TABLE.map((info) => [info.id, info]));
const BY_NAME = new Map(TABLE.map((info) => [info.name, info]));

export type GgmlTypeName = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K';
/** The types Cria loads: the kernel types as they are, k-quants through conversion. */
export const LOADABLE_GGML_TYPES: readonly GgmlTypeName[] = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'];
/** The types the GGUF writer accepts. */
/** Q4_K / Q6_K only as already-encoded blocks: Cria reads k-quants but has no k-quant quantizer. */
export const WRITABLE_GGML_TYPES = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as const;
export type WritableGgmlType = (typeof WRITABLE_GGML_TYPES)[number];

export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return BY_NAME.get(name);
}

/** A readable name for an id, known or not, for error messages. */
export function ggmlTypeLabel(id: number): string {
  return BY_ID.get(id)?.name ?? OTHER_NAMES[id] ?? `unknown type ${id}`;
}
