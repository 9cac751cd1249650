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

export function startStaticServer(options: { root: string; port?: number; host?: string; fallback?: boolean }): Promise<StaticServer>;
