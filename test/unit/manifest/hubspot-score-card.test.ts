import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import type { RecordCard } from '../../../src/card/record-card.js';
import { loadAppManifest } from '../../../src/config/app-manifest.js';
import { appManifestPath } from '../../../src/lib/package-root.js';
import { buildHubSpotProject } from '../../../src/manifest/hubspot-project.js';

interface Element {
  type: string | ((props: Record<string, unknown>) => unknown);
  props: Record<string, unknown>;
  children: unknown[];
}

const COMPONENTS = ['Alert', 'Divider', 'Flex', 'Heading', 'List', 'LoadingSpinner', 'StatusTag', 'Text'];

/**
 * Runs the generated card component as HubSpot would, with stand-ins for React (createElement, useState, useEffect)
 * and `@hubspot/ui-extensions` (each component renders as a tag named after it, `hubspot.fetch` answers `answer`),
 * and returns its markup after the data fetch settled, with the fetch it made.
 */
async function renderGeneratedCard(
  source: string,
  answer: { status: number; body?: unknown },
): Promise<{ markup: string; fetched: Array<{ url: string; options: unknown }> }> {
  const js = ts.transpileModule(source, {
    compilerOptions: { jsx: ts.JsxEmit.React, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const states: unknown[] = [];
  const effects: Array<() => void> = [];
  let hook = 0;
  let effectsRun = false;
  const fetched: Array<{ url: string; options: unknown }> = [];
  let extension: ((api: unknown) => unknown) | undefined;
  const react = {
    createElement: (type: Element['type'], props: Record<string, unknown> | null, ...children: unknown[]) => ({
      type,
      props: props ?? {},
      children: children.flat(),
    }),
    useState(initial: unknown) {
      const i = hook++;
      if (!(i in states)) states[i] = initial;
      const set = (value: unknown) => {
        states[i] = value;
      };
      return [states[i], set];
    },
    useEffect(effect: () => void) {
      if (!effectsRun) effects.push(effect);
    },
  };
  const ui = {
    ...Object.fromEntries(COMPONENTS.map((c) => [c, c])),
    hubspot: {
      extend: (fn: (api: unknown) => unknown) => {
        extension = fn;
      },
      fetch: async (url: string, options: unknown) => {
        fetched.push({ url, options });
        return { ok: answer.status < 300, status: answer.status, json: async () => answer.body };
      },
    },
  };
  const modules: Record<string, unknown> = { react: { default: react, ...react }, '@hubspot/ui-extensions': ui };
  const module = { exports: {} };
  new Function('require', 'exports', 'module', js)((name: string) => modules[name], module.exports, module);
  const render = (node: unknown): string => {
    if (node === null || node === undefined || typeof node === 'boolean') return '';
    if (typeof node === 'string' || typeof node === 'number') return String(node);
    if (Array.isArray(node)) return node.map(render).join('');
    const el = node as Element;
    if (typeof el.type === 'function') return render(el.type({ ...el.props, children: el.children }));
    const attrs = ['variant', 'title']
      .filter((a) => typeof el.props[a] === 'string')
      .map((a) => ` ${a}="${el.props[a] as string}"`)
      .join('');
    return `<${el.type}${attrs}>${render(el.children)}</${el.type}>`;
  };
  const root = () => {
    hook = 0;
    return render(extension!({ context: { crm: { objectId: 9000006, objectTypeId: '0-3' } }, actions: {} }));
  };
  expect(root()).toContain('<LoadingSpinner');
  effectsRun = true;
  for (const effect of effects) effect();
  await new Promise((resolve) => setImmediate(resolve));
  return { markup: root(), fetched };
}

const card: RecordCard = {
  scored: true,
  objectType: 'contact',
  recordId: '102',
  segment: 'High value · Frequent',
  score: {
    kind: 'churn',
    label: 'Churn risk',
    percent: 93,
    change: -4,
    reasons: ['1 won deal lowers it 3 pts', 'last purchase over 6 months ago raises it 2 pts'],
  },
  action: {
    action: 're_engage',
    label: 'Re-engage',
    priority: 'medium',
    due: '2026-12-08',
    reason: 'Customer at risk.',
  },
  recommendations: ['Onboarding Package (44 % of deals with Training Workshop also had it)'],
  scoredAt: '2026-12-05T11:30:00.000Z',
};

describe('the generated HubSpot card component (src/app/cards/ScoreCard.jsx)', () => {
  const files = buildHubSpotProject(loadAppManifest(appManifestPath()), 'https://agent.example.com');
  const source = files['src/app/cards/ScoreCard.jsx']!;

  it('is the entry point of a 2025.2 card component on contacts and deals, allowed to fetch from crm-agent', () => {
    const meta = JSON.parse(files['src/app/cards/score-card-hsmeta.json']!) as {
      type: string;
      config: { entrypoint: string; location: string; objectTypes: string[] };
    };
    expect(meta.type).toBe('card');
    expect(meta.config.entrypoint).toBe('/app/cards/ScoreCard.jsx');
    expect(meta.config.objectTypes).toEqual(['contacts', 'deals']);
    expect(JSON.parse(files['src/app/cards/package.json']!).dependencies).toHaveProperty('@hubspot/ui-extensions');
    expect(JSON.parse(files['src/app/app-hsmeta.json']!).config.permittedUrls.fetch).toEqual([
      'https://agent.example.com',
    ]);
  });

  it('fetches the record’s card and shows segment, score with change and reasons, action and recommendations', async () => {
    const { markup, fetched } = await renderGeneratedCard(source, { status: 200, body: card });
    expect(fetched).toEqual([
      {
        url: 'https://agent.example.com/hubspot/card',
        options: { method: 'POST', body: { objectId: '9000006', objectTypeId: '0-3' } },
      },
    ]);
    expect(markup).toContain('High value · Frequent');
    expect(markup).toContain('<Heading>Churn risk: 93% (-4)</Heading>');
    for (const reason of card.score!.reasons) expect(markup).toContain(`<Text>${reason}</Text>`);
    expect(markup).toContain('<StatusTag variant="warning">medium</StatusTag> Re-engage · due 2026-12-08');
    expect(markup).toContain('<Text variant="microcopy">Customer at risk.</Text>');
    expect(markup).toContain('Recommended products');
    expect(markup).toContain(`<Text>${card.recommendations[0]}</Text>`);
    expect(markup).not.toMatch(/undefined|NaN|\[object Object\]/);
  });

  it('says so when nothing is to be done, when the record is not scored, and when crm-agent is unavailable', async () => {
    const calm = await renderGeneratedCard(source, {
      status: 200,
      body: { ...card, action: null, recommendations: [] },
    });
    expect(calm.markup).toContain('No action needed now.');
    expect(calm.markup).not.toContain('Recommended products');
    const fresh = await renderGeneratedCard(source, { status: 200, body: { ...card, scored: false } });
    expect(fresh.markup).toContain('Not scored yet');
    const down = await renderGeneratedCard(source, { status: 503 });
    expect(down.markup).toContain('<Alert variant="warning" title="crm-agent is unavailable">crm-agent answered 503');
  });
});
