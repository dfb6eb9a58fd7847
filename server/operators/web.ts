import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The page's files: plain HTML, one JavaScript module and one stylesheet, with no build step. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export const WEB_ROOT = path.join(__dirname, '..', 'web');

/**
 * Only our own files may run or load; no framing (clickjacking), no inline script (an injected
 * `<script>` in a message could not run even if escaping failed somewhere).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Serves the workspace page at `/`; the files are read once, at start-up. */
export function registerWeb(app: FastifyInstance, root = WEB_ROOT): void {
  for (const [route, { file, type }] of Object.entries(FILES)) {
    const body = fs.readFileSync(path.join(root, file));
    app.get(route, async (_request, reply) =>
      reply.headers({ ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache' }).send(body),
    );
  }
}
