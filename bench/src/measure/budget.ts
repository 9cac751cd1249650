/**
 * A wall-clock allowance shared by every measurement of one slow impl (WebGPU on SwiftShader, the
 * naive JS loops), so a suite's total time stays bounded however slow the machine is. Work that
 * would not fit is written as a skipped row naming the budget, never guessed.
 */
export class Budget {
  #spentMs = 0;

  constructor(
    readonly label: string,
    readonly limitMs: number,
  ) {}

  get spentMs(): number {
    return this.#spentMs;
  }

  get remainingMs(): number {
    return Math.max(0, this.limitMs - this.#spentMs);
  }

  get exhausted(): boolean {
    return this.#spentMs >= this.limitMs;
  }

  charge(milliseconds: number): void {
    this.#spentMs += milliseconds;
  }

  /** The sentence a skipped row carries. */
  describe(): string {
    return `${this.label} time budget of ${Math.round(this.limitMs / 1000)} s is spent (${Math.round(this.#spentMs / 1000)} s used)`;
  }
}
