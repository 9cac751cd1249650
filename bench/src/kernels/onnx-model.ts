/**
 * A one-node ONNX model (MatMul, or Gemm with transB for the [N, K] weight layout) encoded by hand:
 * the protobuf subset it needs is ~60 lines, lighter than a protobuf library as a dependency.
 * The weight is an initializer, not an input — a constant, as in a real model — so ONNX Runtime
 * may pre-pack it once at session creation, which is what its users get.
 *
 * Field numbers are from onnx/onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, …).
 */
const VARINT = 0;
const LENGTH_DELIMITED = 2;
const ONNX_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const IR_VERSION = 8;
const OPSET = 13;

class ProtoWriter {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  #varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf varint must be a non-negative safe integer, got ${value}`);
    const bytes: number[] = [];
    while (value >= 0x80) {
      bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    bytes.push(value);
    this.#push(Uint8Array.from(bytes));
  }

  int(field: number, value: number): this {
    this.#varint((field << 3) | VARINT);
    this.#varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#varint((field << 3) | LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const nested = new ProtoWriter();
    build(nested);
    return this.bytes(field, nested.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

function valueInfo(writer: ProtoWriter, name: string, shape: readonly number[]): void {
  writer.string(1, name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, ONNX_FLOAT).message(2, (tensorShape) => {
        for (const dim of shape) tensorShape.message(1, (dimension) => dimension.int(1, dim));
      }),
    ),
  );
}

export interface MatmulModelOptions {
  M: number;
  K: number;
  N: number;
  /** true: `weights` is [N, K] and the node is Gemm(transB = 1); false: [K, N] and MatMul. */
  transposeB: boolean;
  weights: Float32Array;
}

/** Input "a" [M, K], constant weight "b", output "y" [M, N]. */
export function encodeMatmulModel({ M, K, N, transposeB, weights }: MatmulModelOptions): Uint8Array {
  if (weights.length !== K * N) throw new RangeError(`weights hold ${weights.length} values, expected K·N = ${K * N}`);
  const raw = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const weightShape = transposeB ? [N, K] : [K, N];
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'cria-bench')
    .message(7, (graph) => {
      graph.message(1, (node) => {
        node.string(1, 'a').string(1, 'b').string(2, 'y').string(3, 'product').string(4, transposeB ? 'Gemm' : 'MatMul');
        if (transposeB) node.message(5, (attribute) => attribute.string(1, 'transB').int(3, 1).int(20, ATTRIBUTE_INT));
      });
      graph.string(2, 'matmul');
      graph.message(5, (tensor) => {
        for (const dim of weightShape) tensor.int(1, dim);
        tensor.int(2, ONNX_FLOAT).string(8, 'b').bytes(9, raw);
      });
      graph.message(11, (input) => valueInfo(input, 'a', [M, K]));
      graph.message(12, (output) => valueInfo(output, 'y', [M, N]));
    })
    .message(8, (opset) => opset.string(1, '').int(2, OPSET))
    .finish();
}
