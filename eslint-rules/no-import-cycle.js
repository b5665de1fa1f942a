// A local ESLint rule: no import cycle among a package's own files, type-only
// imports included. (import-x/no-cycle skips `import type`, but a cycle of
// types still ties the modules together: neither can be read or moved alone.)
// It reads relative imports with TypeScript's own pre-processor, which sees
// `import`, `import type`, `export ... from` and `import()` alike.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** file -> { mtimeMs, deps }: each file is read once per lint run (and again if it changed). */
const cache = new Map();

function resolveRelative(fromFile, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function importsOf(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return [];
  }
  const cached = cache.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs) return cached.deps;
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const deps = [
    ...new Set(importedFiles.map((f) => resolveRelative(file, f.fileName)).filter(Boolean)),
  ];
  cache.set(file, { mtimeMs: stat.mtimeMs, deps });
  return deps;
}

/** The shortest path of imports from `start` back to `target`, or null. */
function pathBack(start, target) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const dep of importsOf(file)) {
      if (dep === target) {
        const route = [file];
        for (let at = previous.get(file); at !== null; at = previous.get(at)) route.unshift(at);
        return route;
      }
      if (!previous.has(dep)) {
        previous.set(dep, file);
        queue.push(dep);
      }
    }
  }
  return null;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'No import cycle among relative imports, type-only imports included' },
    schema: [],
    messages: { cycle: 'Import cycle (type imports count): {{route}}' },
  },
  create(context) {
    const filename = context.physicalFilename;
    const root = context.cwd;
    const short = (file) => path.relative(root, file);
    function check(node) {
      if (!node.source || typeof node.source.value !== 'string') return;
      const dep = resolveRelative(filename, node.source.value);
      if (dep === null) return;
      const route = dep === filename ? [] : pathBack(dep, filename);
      if (route === null) return;
      context.report({
        node: node.source,
        messageId: 'cycle',
        data: { route: [filename, ...route, filename].map(short).join(' -> ') },
      });
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
