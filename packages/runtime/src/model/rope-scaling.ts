/**
 * RoPE inverse frequencies computed on the host, for checkpoints whose rotation is not plain
 * theta^(−2i/D). The kernels take them through `rope({ inverseFrequencies })`.
 */

export interface Llama3RopeScaling {
  factor: number;
  lowFrequencyFactor: number;
  highFrequencyFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** theta^(−2i/D) for i in [0, D/2), as transformers' `_compute_default_rope_parameters` (in f64, then rounded). */
export function defaultInverseFrequencies(headDim: number, theta: number): Float64Array {
  const frequencies = new Float64Array(headDim / 2);
  for (let i = 0; i < frequencies.length; i++) frequencies[i] = 1 / theta ** ((2 * i) / headDim);
  return frequencies;
}

/**
 * Llama 3.1's `rope_type: "llama3"` (transformers' `_compute_llama3_parameters`): wavelengths longer
 * than the original context divided by `factor`, shorter than original / high_freq_factor kept,
 * and a smooth blend between the two.
 */
export function llama3InverseFrequencies(headDim: number, theta: number, scaling: Llama3RopeScaling): Float32Array {
  const { factor, lowFrequencyFactor, highFrequencyFactor, originalMaxPositionEmbeddings: original } = scaling;
  const lowFrequencyWavelength = original / lowFrequencyFactor;
  const highFrequencyWavelength = original / highFrequencyFactor;
  const base = defaultInverseFrequencies(headDim, theta);
  const result = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const frequency = base[i]!;
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highFrequencyWavelength) result[i] = frequency;
    else if (wavelength > lowFrequencyWavelength) result[i] = frequency / factor;
    else {
      const smooth = (original / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor);
      result[i] = (1 - smooth) * (frequency / factor) + smooth * frequency;
    }
  }
  return result;
}

/**
 * GGUF's form of the same thing: llama.cpp stores Llama 3.1's scaling as a `rope_freqs.weight`
 * tensor of D/2 divisors ("freq factors") applied to theta^(−2i/D).
 */
export function inverseFrequenciesFromFactors(headDim: number, theta: number, factors: Float32Array): Float32Array {
  const base = defaultInverseFrequencies(headDim, theta);
  return Float32Array.from(base, (frequency, i) => frequency / factors[i]!);
}
