// The model-file layer: sources of bytes, the safetensors and GGUF readers and writers, typed errors.
export * from './errors.js';
export { BlobByteSource, MemoryByteSource, type ByteSource } from './sources/byte-source.js';
export { NodeFileSource, openFileSource } from './sources/node-file-source.js';
export { HttpRangeSource } from './sources/http-range-source.js';
export { concatBytes, writeChunks } from './chunks.js';
export type { HostTensor, WeightInfo, WeightReader } from './host-tensor.js';
export { expectTensor } from './expect-tensor.js';

export {
  LOADABLE_SAFETENSORS_DTYPES,
  MAX_SAFETENSORS_HEADER_BYTES,
  SAFETENSORS_DTYPE_BYTES,
  type SafetensorsDType,
  type SafetensorsTensorInfo,
} from './safetensors/safetensors-header.js';
export { SafetensorsFile } from './safetensors/safetensors-file.js';
export { SAFETENSORS_INDEX_FILE, ShardedSafetensors, type OpenShard, type ShardedTensorInfo } from './safetensors/sharded-safetensors.js';
export { openSafetensors } from './safetensors/open-safetensors.js';
export { encodeSafetensors, type SafetensorsWriteTensor } from './safetensors/safetensors-writer.js';

export { LOADABLE_GGML_TYPES, WRITABLE_GGML_TYPES, ggmlTypeById, ggmlTypeByName, ggmlTypeLabel, type GgmlTypeInfo, type GgmlTypeName, type WritableGgmlType } from './gguf/ggml-types.js';
export { gguf, ggufMetadataToRecord, GGUF_VALUE_TYPES, type GgufArray, type GgufArrayItems, type GgufValue, type GgufValueType } from './gguf/gguf-value.js';
export { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, MAX_GGUF_KEYS, MAX_GGUF_TENSORS, type GgufTensorInfo } from './gguf/gguf-header.js';
export { GgufFile, MAX_GGUF_HEADER_BYTES, type GgufReadOptions, type KQuantTarget } from './gguf/gguf-file.js';
export { encodeGguf, type GgufWriteOptions, type GgufWriteTensor } from './gguf/gguf-writer.js';
export { QK_K, dequantizeQ4_K, dequantizeQ6_K } from './gguf/k-quants.js';

export { TINY_LLAMA, TINY_LLAMA3, TINY_QWEN2, headDim, hfConfigJson, validateTestModelConfig, type TestModelConfig } from './test-model/test-model-config.js';
export { ggufTensorName, testModelGguf, testModelHfFiles, testModelInMemory, testModelWeights, type TestGgufType, type WeightTensor } from './test-model/test-model.js';
export { writeTestModel, type WriteTestModelOptions } from './test-model/write-test-model.js';
export { permuteForInterleavedRope, reorderRopeRows } from './test-model/rope-permute.js';
export { SeededRandom } from './test-model/seeded-random.js';
export { JSON_EDGE_VALUES, mutateJson, type JsonMutation } from './test-model/mutate-json.js';
export { MIN_TEST_VOCAB_SIZE, byteSymbols, testVocabulary, tokenizerConfigJson, tokenizerGgufMetadata, tokenizerJson, type TestVocabulary } from './test-model/test-tokenizer.js';
