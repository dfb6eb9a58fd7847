// @ts-check
// The optional sound for a new customer message: a short tone, made by the page (no file to load).

const STORED = 'livechat.sound';

/** @type {AudioContext | null} */
let context = null;

export function soundOn() {
  try {
    return localStorage.getItem(STORED) === 'on';
  } catch {
    return false;
  }
}

/** @param {boolean} on */
export function setSound(on) {
  try {
    localStorage.setItem(STORED, on ? 'on' : 'off');
  } catch {
    // Not remembered: it lasts for this page.
  }
  // Browsers let a page make sound once the operator has acted on it: this click is that act.
  if (on && !context) context = new AudioContext();
}

/** Plays the tone if the operator turned it on; counts it on `<body data-chimes>`. */
export function chime() {
  if (!soundOn()) return;
  context ??= new AudioContext();
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, context.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.3);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start();
  oscillator.stop(context.currentTime + 0.3);
  document.body.dataset.chimes = String(Number(document.body.dataset.chimes ?? 0) + 1);
}
