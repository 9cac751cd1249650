/** The training worker is already running a fine-tune: one run at a time per worker. */
export class TrainerBusyError extends Error {
  constructor(readonly runningId: number) {
    super(`the training worker is already running fine-tune #${runningId}. Hint: stop() or cancel it and await its result first, or start another worker`);
    this.name = 'TrainerBusyError';
  }
}

/** The training worker cannot be reached: its script failed to load, or the trainer was disposed. */
export class TrainerUnavailableError extends Error {
  constructor(detail: string) {
    super(`the training worker is unavailable: ${detail}`);
    this.name = 'TrainerUnavailableError';
  }
}
