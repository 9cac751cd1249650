// `npm run demo`: builds what is missing or stale, then serves apps/demo/dist on localhost with the
// cross-origin isolation headers that multi-threaded wasm needs. PORT picks the port (default 5173;
// a busy port falls back to a free one). Ctrl-C stops it.
import { ensureBuilt } from './ensure-built.mjs';
import { startStaticServer } from './static-server.mjs';

const DEFAULT_PORT = 5173;

const requested = process.env.PORT ? Number(process.env.PORT) : DEFAULT_PORT;
if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
  console.error(`PORT=${process.env.PORT} is not a port number; use 0–65535, or unset it for ${DEFAULT_PORT}`);
  process.exit(1);
}

let root;
try {
  root = await ensureBuilt();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const { url, port, close } = await startStaticServer({ root, port: requested });
if (port !== requested && requested !== 0) console.log(`port ${requested} is busy; using ${port} instead`);
console.log(`Cria demo: ${url}`);
console.log('(cross-origin isolated: COOP same-origin + COEP require-corp; Ctrl-C to stop)');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) process.exit(1); // a second Ctrl-C does not wait
    stopping = true;
    await close();
    console.log('\nstopped');
    process.exit(0);
  });
}
