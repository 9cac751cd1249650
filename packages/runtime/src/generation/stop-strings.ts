/**
 * Finds stop strings in streamed text without ever emitting part of one: text that could be the
 * start of a stop string is held back until the next piece shows whether it is one. The result
 * never contains the stop string (OpenAI's behaviour).
 *
 * Why holding back the longest suffix that is a prefix of some stop string is enough: if a stop
 * string s began inside text already emitted, then when that text was emitted everything from s's
 * start to the end was a prefix of s, so it would have been held back.
 */
export class StopStringMatcher {
  #pending = '';
  #stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds streamed text; returns what may be shown now and whether a stop string ended the text. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.#stopped) return { text: '', stopped: true };
    this.#pending += text;
    let stopAt = -1;
    for (const stop of this.stops) {
      const at = this.#pending.indexOf(stop);
      if (at !== -1 && (stopAt === -1 || at < stopAt)) stopAt = at;
    }
    if (stopAt !== -1) {
      const shown = this.#pending.slice(0, stopAt);
      this.#pending = '';
      this.#stopped = true;
      return { text: shown, stopped: true };
    }
    const held = this.#heldBackLength();
    const shown = this.#pending.slice(0, this.#pending.length - held);
    this.#pending = this.#pending.slice(this.#pending.length - held);
    return { text: shown, stopped: false };
  }

  /** The held-back text at the end of generation (it turned out not to be a stop string). */
  flush(): string {
    const rest = this.#stopped ? '' : this.#pending;
    this.#pending = '';
    return rest;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of a stop string. */
  #heldBackLength(): number {
    let longest = 0;
    for (const stop of this.stops) {
      const max = Math.min(stop.length - 1, this.#pending.length);
      for (let length = max; length > longest; length--) {
        if (this.#pending.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
