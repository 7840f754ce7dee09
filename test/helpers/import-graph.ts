import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import of a file: its specifier, and whether it is erased at compile time (`import type`, type-only names). */
export interface ImportEdge {
  spec: string;
  typeOnly: boolean;
}

/** A source file's imports: static imports, re-exports (`export … from`) and dynamic `import()`. */
export function importsOf(source: string): ImportEdge[] {
  const file = ts.createSourceFile('scan.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      edges.push({ spec: node.moduleSpecifier.text, typeOnly: importIsTypeOnly(node.importClause) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      const typeOnly = node.isTypeOnly || (named !== null && named.length > 0 && named.every((e) => e.isTypeOnly));
      edges.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      edges.push({ spec: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return edges;
}

function importIsTypeOnly(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // `import './x.js'`: evaluated for its effects
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** Every `.ts` file under `dir`, as a path relative to `root` with forward slashes. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(toKey(root, path));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

function toKey(root: string, path: string): string {
  return relative(root, path).split('\\').join('/');
}

/** The graph: file → what it imports (relative specifiers resolved to root-relative `.ts` paths; packages as named). */
export type ImportGraph = Map<string, Array<{ target: string; typeOnly: boolean }>>;

/** Builds the graph from file contents keyed by root-relative path (tests plant files by passing strings). */
export function buildGraph(files: Record<string, string>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [file, source] of Object.entries(files)) {
    graph.set(
      file,
      importsOf(source).map(({ spec, typeOnly }) => ({
        target: spec.startsWith('.') ? resolveSpecifier(file, spec) : spec,
        typeOnly,
      })),
    );
  }
  return graph;
}

/** The same graph without the imports that are erased at compile time. */
export function valueImports(graph: ImportGraph): ImportGraph {
  return new Map([...graph].map(([file, edges]) => [file, edges.filter((e) => !e.typeOnly)]));
}

function resolveSpecifier(file: string, spec: string): string {
  const joined = resolve('/', dirname(file), spec).slice(1);
  return joined.replace(/\.js$/, '.ts');
}

/** Reads the named folders of the repository into `{ path: source }`. */
export function readTree(root: string, dirs: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const dir of dirs) {
    for (const file of sourceFiles(root, dir)) files[file] = readFileSync(join(root, file), 'utf8');
  }
  return files;
}

/** A rule: files matching `from` may not import a specifier matching `forbidden`. */
export interface ImportRule {
  name: string;
  from: RegExp;
  forbidden: RegExp;
}

/** One line per import that breaks a rule: `rule: file → target`. */
export function ruleViolations(graph: ImportGraph, rules: ImportRule[]): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of rules) {
      if (!rule.from.test(file)) continue;
      for (const { target } of targets) if (rule.forbidden.test(target)) out.push(`${rule.name}: ${file} → ${target}`);
    }
  }
  return out;
}

/** The import cycles among the graph's own files, each as `a → b → … → a` (one per strongly connected set). */
export function cycles(graph: ImportGraph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const { target } of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
    }
    if (low.get(node) !== index.get(node)) return;
    const members: string[] = [];
    for (;;) {
      const member = stack.pop() as string;
      onStack.delete(member);
      members.push(member);
      if (member === node) break;
    }
    const selfLoop = (graph.get(node) ?? []).some((e) => e.target === node);
    if (members.length > 1 || selfLoop) found.push(describeCycle(graph, new Set(members)));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** The shortest path around a strongly connected set, from its first file back to it. */
function describeCycle(graph: ImportGraph, members: Set<string>): string {
  const start = [...members].sort()[0] as string;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  let last = start;
  search: while (queue.length > 0) {
    const at = queue.shift() as string;
    for (const { target } of graph.get(at) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        last = at;
        break search;
      }
      if (cameFrom.has(target)) continue;
      cameFrom.set(target, at);
      queue.push(target);
    }
  }
  const path = [start];
  for (let at = last; at !== start; at = cameFrom.get(at) as string) path.splice(1, 0, at);
  return `${[...path, start].join(' → ')} (${members.size} files in the cycle)`;
}
