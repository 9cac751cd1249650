/**
 * Cria's WebAssembly kernels. Every kernel takes (thread, threads, ...) and computes its own static
 * share of the work, so one call runs on a single thread or on every worker of the pool at once.
 * Kernels never allocate: the host owns linear memory and passes buffers (and per-thread scratch)
 * as byte offsets. There is no static data either, so worker instances sharing one memory re-copy
 * nothing when they are instantiated.
 */
export { matmul, matmulScratchBytes } from './matmul/matmul';
export { attention, attentionDecode, attentionMerge, attentionScratchBytes, attentionSplits } from './ops/attention';
export { rmsnorm, addRmsnorm, layernorm } from './ops/normalization';
export { rope } from './ops/rope';
export { silu, gelu, swiglu, softmax } from './ops/activations';
export { binary, scale, toHalf } from './ops/elementwise';
export { embedding } from './ops/embedding';
export { argmax } from './ops/argmax';
export { transpose } from './training/transpose';
export { activationBackward, swigluBackward, scaledAccumulate, broadcastReduce } from './training/activation-backward';
export { rmsnormBackwardRows, rmsnormBackwardWeight } from './training/normalization-backward';
export { embeddingBackward } from './training/embedding-backward';
export { adamw, squaredSum } from './training/optimizer';
export { crossEntropy, softmaxBackward } from './training/losses';
export { attentionTraining, attentionTrainingScratchBytes, attentionBackwardQuery, attentionBackwardKey } from './training/attention-training';
export { distillation, distillationScratchBytes } from './training/distillation';
export { frozenWeightGradient, frozenWeightGradientScratchBytes } from './training/frozen-weight-gradient';
