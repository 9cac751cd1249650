/**
 * Runs tasks one at a time in arrival order. The engine has one sequence and one KV cache, so
 * concurrent requests (several HTTP clients) take turns instead of interleaving their tokens.
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves with a release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    return previous.then(() => release);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  /**
   * An iterable that takes its turn when iteration starts and gives it back when the iteration
   * ends, throws, or is left early (`break` in for-await calls `return`). A stream that is never
   * iterated holds nothing; one abandoned mid-way without `return` holds the queue.
   */
  async *stream<T>(make: () => AsyncIterable<T>, beforeStart: () => void = () => {}): AsyncGenerator<T> {
    const release = await this.acquire();
    try {
      beforeStart();
      yield* make();
    } finally {
      release();
    }
  }
}
