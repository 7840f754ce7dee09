import { expect } from '@jest/globals';
import { type Browser, chromium } from 'playwright-core';

/**
 * What an admin or a rep must never read: raw JSON, or values a bug turned into words. (The data-health policy
 * names NaN in parentheses, as a word it explains.)
 */
export function expectReadable(text: string): void {
  expect(text).not.toMatch(/(?<!\()\bNaN\b|\bundefined\b|\[object Object\]|\{"|":\s*[[{"\d]/);
}

/** Debian's Chromium, headless, with the flags a machine without network needs (no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
