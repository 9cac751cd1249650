/**
 * GGUF metadata values. Each keeps its GGUF type so a file can be rewritten exactly; 64-bit
 * integers are bigints (exact), and numeric arrays are typed arrays (a 150k-entry score table is
 * one Float32Array, not 150k numbers).
 */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
/** Index = the type id GGUF stores (GGUF_TYPE_UINT8 = 0 ... GGUF_TYPE_FLOAT64 = 12). */
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

export type GgufNumberType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';
export type GgufBigIntType = 'u64' | 'i64';

export type GgufArrayItems =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
  | boolean[]
  | string[]
  | GgufArray[];

export interface GgufArray {
  readonly itemType: GgufValueType;
  readonly items: GgufArrayItems;
}

export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly value: GgufArray };

/** Bytes per item of the fixed-size types (strings and arrays have none). */
export const GGUF_FIXED_SIZES: Partial<Record<GgufValueType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };

/** Constructors for writing metadata: `gguf.u32(32)`, `gguf.strings(['a', 'b'])`. */
export const gguf = {
  u8: (value: number): GgufValue => ({ type: 'u8', value }),
  i8: (value: number): GgufValue => ({ type: 'i8', value }),
  u16: (value: number): GgufValue => ({ type: 'u16', value }),
  i16: (value: number): GgufValue => ({ type: 'i16', value }),
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  f64: (value: number): GgufValue => ({ type: 'f64', value }),
  u64: (value: bigint | number): GgufValue => ({ type: 'u64', value: BigInt(value) }),
  i64: (value: bigint | number): GgufValue => ({ type: 'i64', value: BigInt(value) }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  string: (value: string): GgufValue => ({ type: 'string', value }),
  array: (itemType: GgufValueType, items: GgufArrayItems): GgufValue => ({ type: 'array', value: { itemType, items } }),
  strings: (items: string[]): GgufValue => ({ type: 'array', value: { itemType: 'string', items } }),
};

/**
 * The metadata as plain JavaScript values, the shape the tokenizer's `tokenizerFromGguf` takes:
 * 64-bit integers become numbers when exact (bigints otherwise), arrays their items.
 */
export function ggufMetadataToRecord(metadata: ReadonlyMap<string, GgufValue>): Record<string, unknown> {
  const record: Record<string, unknown> = Object.create(null);
  for (const [key, value] of metadata) record[key] = plainValue(value);
  return record;
}

function plainValue(value: GgufValue): unknown {
  if (value.type === 'array') return plainArray(value.value);
  if (typeof value.value === 'bigint') return toNumberIfExact(value.value);
  return value.value;
}

function plainArray(array: GgufArray): unknown {
  const { items } = array;
  if (items instanceof BigUint64Array || items instanceof BigInt64Array) return Array.from(items, toNumberIfExact);
  if (array.itemType === 'array') return (items as GgufArray[]).map(plainArray);
  return items;
}

function toNumberIfExact(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}
