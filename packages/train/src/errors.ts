/** A training input (batch, weights, options) that does not fit the model; the message says how to fix it. */
export class TrainingInputError extends Error {
  constructor(
    readonly subject: string,
    readonly expected: string,
    readonly got: string,
    hint: string,
  ) {
    super(`${subject}: expected ${expected}, got ${got}. Hint: ${hint}`);
    this.name = 'TrainingInputError';
  }
}

/** The backend cannot run training ops (it does not implement `TrainingOps`). */
export class TrainingNotSupportedError extends Error {
  constructor(readonly backendName: string) {
    super(`the "${backendName}" backend does not implement the training ops. Hint: train on the reference or wasm backend (createBackend({ prefer: ['wasm'] }))`);
    this.name = 'TrainingNotSupportedError';
  }
}
