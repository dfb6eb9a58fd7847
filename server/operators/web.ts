import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The page's files by type: plain HTML, ES modules and a stylesheet, with no build step. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Every file of the page under `root` (its modules in folders by screen), by route. */
function pageFiles(root: string): Map<string, { file: string; type: string }> {
  const files = new Map<string, { file: string; type: string }>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const type = TYPES[path.extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const file = path.join(entry.parentPath, entry.name);
    const route = `/${path.relative(root, file).split(path.sep).join('/')}`;
    files.set(route === '/index.html' ? '/' : route, { file, type });
  }
  return files;
}

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
  for (const [route, { file, type }] of pageFiles(root)) {
    const body = fs.readFileSync(file);
    app.get(route, async (_request, reply) =>
      reply.headers({ ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache' }).send(body),
    );
  }
}
