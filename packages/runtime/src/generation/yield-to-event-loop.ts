/**
 * Lets the host's event loop turn once (I/O, timers, an AbortSignal fired by a closed socket or
 * Ctrl-C). On the wasm and reference backends a decode step never waits on I/O, so without this a
 * whole generation would run in one macrotask and an abort would only be seen at its end.
 * setImmediate in Node; a MessageChannel in browsers, where setTimeout(0) is clamped to 4 ms.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
