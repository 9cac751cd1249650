/**
 * One generation at a time (the engine has one KV cache), with a bounded first-in-first-out queue
 * of waiting requests. A full queue refuses at once (the server answers 429 with Retry-After)
 * instead of letting latency grow without bound; a waiting request whose client goes away leaves
 * the queue.
 */
import { queueFull } from './http-errors.js';

export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  reject: (reason: unknown) => void;
}

export class GenerationQueue {
  private busy = false;
  private readonly waiters: Waiter[] = [];
  private readonly idleListeners: Array<() => void> = [];
  /** Moving average of how long a generation holds the slot, for Retry-After. */
  private averageHoldMs = 0;

  /** `capacity`: how many requests may wait while one runs (0: none wait, a busy server answers 429). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`queue capacity must be a non-negative integer; got ${capacity}`);
  }

  get running(): number {
    return this.busy ? 1 : 0;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves with `release` once this request holds the slot. Throws the 429 error when the queue is
   * full; rejects with the signal's reason when aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaseFor(performance.now()));
    }
    if (this.waiters.length >= this.capacity) throw queueFull(this.capacity, this.retryAfterSeconds());

    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Rejects every waiting request (shutdown); the running one keeps the slot. */
  rejectWaiting(reason: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(reason);
  }

  /** Resolves when nothing runs and nothing waits. */
  whenIdle(): Promise<void> {
    if (!this.busy && this.waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleListeners.push(resolve));
  }

  /** Seconds until a new request would likely get the slot: everyone ahead times the average hold. */
  retryAfterSeconds(): number {
    const ahead = this.running + this.waiting;
    return Math.max(1, Math.ceil((ahead * this.averageHoldMs) / 1000));
  }

  private releaseFor(startedAt: number): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const heldMs = performance.now() - startedAt;
      this.averageHoldMs = this.averageHoldMs === 0 ? heldMs : 0.8 * this.averageHoldMs + 0.2 * heldMs;
      const next = this.waiters.shift();
      if (next) {
        next.grant(this.releaseFor(performance.now()));
        return;
      }
      this.busy = false;
      for (const listener of this.idleListeners.splice(0)) listener();
    };
  }
}
