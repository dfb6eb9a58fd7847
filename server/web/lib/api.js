// @ts-check
// The workspace API as the page calls it: JSON both ways, the sign-in cookie, typed failures.

/** @typedef {import('./types.js').ApiErrorBody} ApiErrorBody */

export class ApiFailure extends Error {
  /**
   * @param {number} status
   * @param {{ error?: ApiErrorBody } | null} body
   */
  constructor(status, body) {
    /** @type {Partial<ApiErrorBody> & { type: string; message: string }} */
    const error = body && body.error ? body.error : { type: 'Error', message: `HTTP ${status}` };
    super(error.message);
    this.status = status;
    this.type = error.type;
    this.details = error.details;
    this.link = error.link;
  }
}

/** @type {() => void} */
let onSignedOut = () => undefined;

/** What to do when the API says the sign-in has ended. @param {() => void} handler */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

/**
 * @template [T=any]
 * @param {'GET' | 'POST' | 'PUT'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<{ status: number; data: T }>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const raw = await response.text();
  const data = raw ? JSON.parse(raw) : null;
  // Signed out behind our back (expired, signed out elsewhere): back to the sign-in form.
  if (response.status === 401) onSignedOut();
  if (!response.ok) throw new ApiFailure(response.status, data);
  return { status: response.status, data };
}

/**
 * Uploads a file for a reply: its bytes as the body (never a type a cross-site form could send).
 * @param {File} file
 * @returns {Promise<import('./types.js').UploadedFileView>}
 */
export async function upload(file) {
  const query = new URLSearchParams({ filename: file.name, type: file.type || 'application/octet-stream' });
  const response = await fetch(`/api/files?${query}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/octet-stream' },
    credentials: 'same-origin',
    body: file,
  });
  const raw = await response.text();
  const data = raw ? JSON.parse(raw) : null;
  if (response.status === 401) onSignedOut();
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data.file;
}

/** The message of whatever was thrown. @param {unknown} error */
export const messageOf = (error) => (error instanceof Error ? error.message : String(error));
