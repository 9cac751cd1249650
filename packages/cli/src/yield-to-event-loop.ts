/**
 * Lets the event loop turn once (setImmediate: after pending I/O). Used after each streamed token:
 * an engine whose backend computes synchronously (the reference backend, small wasm shapes) chains
 * only promise microtasks from one token to the next, and until the loop turns, Node neither sends
 * what was written (an HTTP response uncorks its socket on the next tick, which waits for the
 * microtask queue to drain) nor sees a closed connection or a Ctrl-C. Costs microseconds per token.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
