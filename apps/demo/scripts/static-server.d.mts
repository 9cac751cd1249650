import type { Server } from 'node:http';

export interface StaticServer {
  server: Server;
  /** http://localhost:PORT/ */
  url: string;
  port: number;
  /** Stops listening and ends open keep-alive connections. */
  close(): Promise<void>;
}

export function resolveInside(root: string, urlPath: string): string | null;

export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null;

export function startStaticServer(options: {
  root: string;
  port?: number;
  host?: string;
  fallback?: boolean;
  /** Answers a request itself when it returns true (tests: a connection cut mid-body). */
  intercept?: (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => boolean;
}): Promise<StaticServer>;
