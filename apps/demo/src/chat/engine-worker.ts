// The module worker the Chat tab's engine runs in (bundled to dist/engine-worker.js): model loading,
// the forward pass and sampling all happen here, so the page stays responsive while tokens stream.
import { serveEngine } from '@cria/runtime';

serveEngine();
