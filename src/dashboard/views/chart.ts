import { randomBytes } from 'node:crypto';
import { type Html, html, jsonData } from '../html.js';

/** A Chart.js chart: a canvas plus its configuration as page data; dashboard.js draws it. */
export function chart(config: Record<string, unknown>, options: { height?: number; label: string }): Html {
  const id = `chart-${randomBytes(4).toString('hex')}`;
  return html`<div class="chart" style="height:${options.height ?? 300}px"><canvas data-chart="${id}" role="img" aria-label="${options.label}"></canvas></div>${jsonData(id, config)}`;
}

export const PALETTE = [
  '#2f6fed',
  '#e07b39',
  '#2a9d8f',
  '#c2417b',
  '#8a6fd1',
  '#b5a12a',
  '#5b7083',
  '#d64545',
  '#3f8f4f',
  '#7a5c3b',
];

export const pct = (p: number | null | undefined, digits = 0) =>
  p === null || p === undefined ? '—' : `${(p * 100).toFixed(digits)} %`;
export const num = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n)
    ? '—'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
