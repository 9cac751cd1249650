// The module worker the Train tab's fine-tunes run in (bundled to dist/train-worker.js): loading,
// forward, backward, AdamW and the export all happen here, so the page stays responsive.
import { serveTrainer } from '@cria/train';

serveTrainer();
