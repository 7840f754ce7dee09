import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  buildGraph,
  cycles,
  type ImportGraph,
  type ImportRule,
  readTree,
  ruleViolations,
  valueImports,
} from '../../helpers/import-graph.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The directions docs/architecture.md states: dependencies point inward. */
const RULES: ImportRule[] = [
  {
    name: 'the engine is pure (engine, domain, lib errors/clock, node:crypto only)',
    from: /^src\/engine\//,
    forbidden: /^(?!src\/engine\/|src\/domain\/|src\/lib\/(errors|clock)\.ts$|node:crypto$)/,
  },
  {
    name: 'connectors and webhooks do not reach the composition root, jobs, pages or each other',
    from: /^(connectors|webhooks)\//,
    forbidden: /^src\/(main|runtime)\.ts$|^src\/(jobs|dashboard|writeback|analyse|engine|cli|demo)\//,
  },
  { name: 'connectors do not import webhooks', from: /^connectors\//, forbidden: /^webhooks\// },
  { name: 'webhooks do not import connectors', from: /^webhooks\//, forbidden: /^connectors\// },
  { name: 'only the composition root imports connectors', from: /^src\/(?!main\.ts$)/, forbidden: /^connectors\// },
];

/** Connectors never touch the store: they may name its types (a cursor), never run its code. */
const VALUE_RULES: ImportRule[] = [
  { name: 'connectors do not use the store', from: /^connectors\//, forbidden: /^src\/store\// },
];

/**
 * Known debt (issue 17): the engine's result types in `src/engine/types.ts` name types of the modules that
 * produce them, which name `types.ts` back. Type-only, so erased at run time; it is allowed inside the engine
 * only, and only while every edge of it is type-only (checked below: the value graph has no cycle at all).
 */
const ALLOWED_TYPE_CYCLE = /^src\/engine\//;

function check(graph: ImportGraph): string[] {
  const valueCycles = cycles(valueImports(graph));
  const inEngine = (cycle: string) => cycle.split(' → ').every((f) => ALLOWED_TYPE_CYCLE.test(f.split(' ')[0] ?? ''));
  const typeCycles = cycles(graph).filter((c) => !valueCycles.includes(c) && !inEngine(c));
  return [
    ...ruleViolations(graph, RULES),
    ...ruleViolations(valueImports(graph), VALUE_RULES),
    ...valueCycles.map((c) => `cycle: ${c}`),
    ...typeCycles.map((c) => `cycle (type imports): ${c}`),
  ];
}

describe('import rules', () => {
  // Parsed once: the planted cases add their few files to the tree's graph.
  const tree = buildGraph(readTree(ROOT, ['src', 'connectors', 'webhooks']));
  const withTree = (files: Record<string, string>): ImportGraph => new Map([...tree, ...buildGraph(files)]);

  it('the tree follows them: no import against the stated direction, no cycle', () => {
    expect(tree.size).toBeGreaterThan(100);
    expect(check(tree)).toEqual([]);
  });

  it('fails on a planted engine import of the store, node I/O or a package', () => {
    const planted = {
      'src/engine/planted.ts': [
        "import { readFileSync } from 'node:fs';",
        "import type { Store } from '../store/open-store.js';",
        "import { z } from 'zod';",
        "export const x = () => import('../../connectors/hubspot/index.js');",
      ].join('\n'),
    };
    const found = check(withTree(planted)).filter((v) => v.includes('src/engine/planted.ts'));
    expect(found).toEqual([
      expect.stringContaining('planted.ts → node:fs'),
      expect.stringContaining('planted.ts → src/store/open-store.ts'),
      expect.stringContaining('planted.ts → zod'),
      expect.stringContaining('planted.ts → connectors/hubspot/index.ts'),
      'only the composition root imports connectors: src/engine/planted.ts → connectors/hubspot/index.ts',
    ]);
  });

  it('fails when a connector or webhook imports the composition root or the store', () => {
    const planted = {
      'connectors/hubspot/planted.ts':
        "import { createRuntime } from '../../src/main.js';\nimport { openStore } from '../../src/store/open-store.js';",
      'webhooks/planted.ts': "export type { Runtime } from '../src/runtime.js';",
    };
    const found = check(withTree(planted));
    expect(found).toEqual([
      expect.stringMatching(/^connectors and webhooks .*: connectors\/hubspot\/planted\.ts → src\/main\.ts$/),
      expect.stringMatching(/^connectors and webhooks .*: webhooks\/planted\.ts → src\/runtime\.ts$/),
      'connectors do not use the store: connectors/hubspot/planted.ts → src/store/open-store.ts',
    ]);
  });

  it('fails on a planted cycle, type-only ones included outside the engine', () => {
    const planted = {
      'src/jobs/a.ts': "import type { B } from './b.js';\nexport type A = B[];",
      'src/jobs/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }",
      'src/lib/c.ts': "import { d } from './d.js';\nexport const c = d;",
      'src/lib/d.ts': "export { c as d } from './c.js';",
    };
    expect(check(buildGraph(planted))).toEqual([
      'cycle: src/lib/c.ts → src/lib/d.ts → src/lib/c.ts (2 files in the cycle)',
      'cycle (type imports): src/jobs/a.ts → src/jobs/b.ts → src/jobs/a.ts (2 files in the cycle)',
    ]);
  });

  it('knows a value import from a type-only one', () => {
    const graph = buildGraph({
      'src/x.ts': [
        "import type { A } from './a.js';",
        "import { type B, type C } from './b.js';",
        "import { type D, e } from './d.js';",
        "import './f.js';",
        "export type { G } from './g.js';",
        "export * from './h.js';",
      ].join('\n'),
    });
    expect(graph.get('src/x.ts')).toEqual([
      { target: 'src/a.ts', typeOnly: true },
      { target: 'src/b.ts', typeOnly: true },
      { target: 'src/d.ts', typeOnly: false },
      { target: 'src/f.ts', typeOnly: false },
      { target: 'src/g.ts', typeOnly: true },
      { target: 'src/h.ts', typeOnly: false },
    ]);
  });
});
