import { OwnTurnLoad, peakRssBytes, type ChildRequest, type DecodeSession, type Repetition } from './child-protocol.js';

/**
 * llama.cpp (node-llama-cpp's prebuilt CPU binary) in a child process, on the same GGUF file:
 * its low-level sequence API, so the token counts are ours. `evaluate(prompt)` yields its first token
 * after the prefill and each later one after one decode step; `yieldEogToken` keeps it going past
 * end-of-generation tokens that random weights may pick, so exactly `generate` steps are timed.
 * Loads and warms up; the parent then calls one timed repetition at a time (see child-protocol.ts).
 */
export async function prepareLlamaCpp(request: ChildRequest): Promise<DecodeSession> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: request.threads });
  try {
    const loadStarted = performance.now();
    const model = await llama.loadModel({ modelPath: request.modelPath });
    const context = await model.createContext({ contextSize: request.contextSize, threads: request.threads, sequences: 1 });
    const loadMs = performance.now() - loadStarted;
    const sequence = context.getSequence();

    const pass = async (prompt: readonly number[], generate: number): Promise<Repetition & { tokens: number[] }> => {
      await sequence.clearHistory();
      const tokens: number[] = [];
      const started = performance.now();
      let prefilled = started;
      for await (const token of sequence.evaluate(prompt as never[], { temperature: 0, yieldEogToken: true })) {
        tokens.push(token);
        if (tokens.length === 1) prefilled = performance.now();
        if (tokens.length === generate + 1) break;
      }
      const finished = performance.now();
      if (tokens.length !== generate + 1) throw new Error(`llama.cpp stopped after ${tokens.length} tokens, expected ${generate + 1}`);
      return { prefillMs: prefilled - started, decodeMs: finished - prefilled, tokens };
    };

    await pass(request.prompt, Math.min(8, request.generate)); // warm-up
    const repetitions: Repetition[] = [];
    let tokens: number[] = [];
    const load = new OwnTurnLoad();
    return {
      run: async () => {
        const result = await load.during(() => pass(request.prompt, request.generate));
        const repetition = { prefillMs: result.prefillMs, decodeMs: result.decodeMs };
        repetitions.push(repetition);
        tokens = result.tokens;
        process.stderr.write(`llama.cpp: prefill ${Math.round(result.prefillMs)} ms, decode ${Math.round(result.decodeMs)} ms\n`);
        return repetition;
      },
      finish: async () => {
        const rssAfterBytes = process.memoryUsage().rss;
        const kvCacheBytes = request.kvValuesPerPosition * context.contextSize * 2; // llama.cpp's default KV cache type is F16
        const release = llama.llamaCppRelease;
        const description = `llama.cpp ${release.release} (node-llama-cpp ${llama.buildType}, CPU), context ${context.contextSize}, batch ${context.batchSize}, flash attention ${String(
          context.flashAttention,
        )}, mmap on`;
        const threads = context.currentThreads || context.idealThreads;
        await context.dispose();
        await model.dispose();
        await llama.dispose();
        const otherCores = load.cores();
        return { impl: 'llama.cpp', description, threads, loadMs: Math.round(loadMs), repetitions, firstTokens: tokens.slice(0, 16), kvCacheBytes, peakRssBytes: peakRssBytes(), rssAfterBytes, otherCores };
      },
    };
  } catch (error) {
    await llama.dispose();
    throw error;
  }
}
