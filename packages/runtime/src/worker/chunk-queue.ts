/**
 * The page side of a streamed response: chunks arrive as messages and are handed to a `for await`
 * loop in order. Leaving the loop early (`break`) cancels the generation in the worker.
 */
export class ChunkQueue<T> implements AsyncIterable<T> {
  readonly #buffered: T[] = [];
  #waiting: { resolve(result: IteratorResult<T>): void; reject(error: Error): void } | undefined;
  #ended = false;
  #error: Error | undefined;
  #iterated = false;

  constructor(private readonly cancel: () => void) {}

  push(chunk: T): void {
    if (this.#waiting) {
      this.#waiting.resolve({ value: chunk, done: false });
      this.#waiting = undefined;
    } else {
      this.#buffered.push(chunk);
    }
  }

  end(): void {
    this.#ended = true;
    this.#waiting?.resolve({ value: undefined, done: true });
    this.#waiting = undefined;
  }

  fail(error: Error): void {
    this.#error = error;
    this.#ended = true;
    this.#waiting?.reject(error);
    this.#waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterated) throw new TypeError('a response stream can be iterated once');
    this.#iterated = true;
    return {
      next: () => {
        if (this.#buffered.length > 0) return Promise.resolve({ value: this.#buffered.shift()!, done: false });
        if (this.#error) return Promise.reject(this.#error);
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
      },
      return: () => {
        if (!this.#ended) this.cancel();
        this.#ended = true;
        this.#buffered.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
