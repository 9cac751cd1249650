/**
 * One line per request on stderr, written when the response is finished (or the client went away):
 * `POST /v1/chat/completions 200 stream 12+64 tok 1532 ms`.
 */
export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /** Prompt and completion tokens, when a generation ran. */
  promptTokens?: number;
  completionTokens?: number;
  stream?: boolean;
  /** How the request ended when not normally: 'client closed', 'aborted (shutdown)'. */
  note?: string;
  durationMs: number;
}

export type RequestLogger = (record: RequestRecord) => void;

export function formatRequestRecord(record: RequestRecord): string {
  const parts = [record.method, record.path, String(record.status)];
  if (record.stream) parts.push('stream');
  if (record.promptTokens !== undefined || record.completionTokens !== undefined) {
    parts.push(`${record.promptTokens ?? 0}+${record.completionTokens ?? 0} tok`);
  }
  parts.push(`${Math.round(record.durationMs)} ms`);
  if (record.note) parts.push(`(${record.note})`);
  return parts.join(' ');
}

export function stderrRequestLogger(write: (line: string) => void = (line) => process.stderr.write(line)): RequestLogger {
  return (record) => write(`${new Date().toISOString()} ${formatRequestRecord(record)}\n`);
}
