// @ts-check
// Small DOM helpers. Everything shown is put into the page with textContent only, so nothing a
// customer writes can become markup.

/**
 * The element with this id, of this type (an `HTMLInputElement`, …) when one is given.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T; prototype: T }} [type]
 * @returns {T}
 */
export function $(id, type) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  if (type && !(element instanceof type)) throw new Error(`#${id} is not a ${type.name}`);
  return /** @type {T} */ (element);
}

/** @typedef {Node | string | null | undefined | false} Child */

/**
 * A new element: `text` sets its text, `class` its class, `on…` adds a listener, anything else is an
 * attribute (`true` as an empty one; `false`, null and undefined are left out).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = String(value);
    else if (key === 'text') element.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function')
      element.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** @param {string} text */
export const text = (text) => document.createTextNode(text);

/** Says something to screen readers (new messages, results of actions). @param {string} sentence */
export function announce(sentence) {
  const announcer = $('announcer');
  announcer.textContent = '';
  // A fresh text node after a tick, so the same sentence twice is announced twice.
  window.setTimeout(() => (announcer.textContent = sentence), 50);
}

/** A random UUID, also where `crypto.randomUUID` is missing (plain HTTP on another host). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
