/**
 * tcplab's import-boundary rule: the layering table of ../shared/DESIGN.md as code.
 * Every import in src-shared, src-main and src-renderer is resolved to the layer it lands in, and
 * the import is reported unless the importing layer may depend on that layer.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { builtinModules } from 'node:module';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** Layer of a repository-relative path (POSIX separators), or null when the rule does not apply. */
export function layerOf(rel) {
  const m =
    /^src-shared\/(wire|format|analysis|diagram|filter|model|ipc|sim)(\/|$)/.exec(rel) ??
    /^src-main\/(stack|link|capture|session|transport|labs|cli|electron)(\/|$)/.exec(rel);
  if (m) return `${rel.startsWith('src-shared') ? 'shared' : 'main'}/${m[1]}`;
  if (/^src-main\/[^/]+(\.ts)?$/.test(rel)) return 'main/root';
  if (rel === 'package.json') return 'package';
  if (rel.startsWith('src-renderer/')) return 'renderer';
  if (rel.startsWith('src-shared/')) return 'shared/other';
  return null;
}

const SHARED = ['shared/wire', 'shared/format', 'shared/analysis', 'shared/diagram', 'shared/filter', 'shared/model', 'shared/ipc', 'shared/sim'];
const MAIN_ALL = ['main/stack', 'main/link', 'main/capture', 'main/session', 'main/transport', 'main/labs', 'main/cli', 'main/electron', 'main/root'];

/** Who may import whom (DESIGN.md, "Layers and what each may import"). */
export const allowed = {
  'shared/wire': ['shared/wire'],
  'shared/format': ['shared/format', 'shared/wire', 'shared/model'],
  'shared/analysis': ['shared/analysis', 'shared/wire', 'shared/model'],
  'shared/diagram': ['shared/diagram', 'shared/wire', 'shared/analysis', 'shared/model'],
  'shared/model': ['shared/model', 'shared/ipc'],
  'shared/ipc': ['shared/ipc', 'shared/model'],
  'shared/sim': ['shared/sim'],
  'shared/filter': ['shared/filter', 'shared/wire', 'shared/analysis', 'shared/model'],
  'shared/other': SHARED,
  // The stack sits on a device: it may use link's Device interface (never the other way round).
  'main/stack': [...SHARED, 'main/stack', 'main/link', 'main/root'],
  'main/link': [...SHARED, 'main/link', 'main/root'],
  'main/capture': [...SHARED, 'main/capture', 'main/root'],
  'main/labs': [...SHARED, 'main/stack', 'main/link', 'main/capture', 'main/labs', 'main/root'],
  'main/session': [...SHARED, 'main/stack', 'main/link', 'main/capture', 'main/labs', 'main/session', 'main/root'],
  'main/transport': [...SHARED, 'main/session', 'main/transport', 'main/root'],
  'main/cli': [...SHARED, ...MAIN_ALL],
  'main/electron': [...SHARED, ...MAIN_ALL],
  'main/root': [...SHARED, 'main/root', 'package'],
  renderer: [...SHARED, 'renderer'],
};

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function resolveTarget(fromFile, spec) {
  if (spec.startsWith('@shared/')) return `src-shared/${spec.slice('@shared/'.length)}`;
  if (spec === '@shared') return 'src-shared';
  if (spec.startsWith('.')) return relative(root, resolve(dirname(fromFile), spec)).split(sep).join('/');
  return null; // a package
}

export default {
  meta: {
    type: 'problem',
    docs: { description: "enforce tcplab's layering (../shared/DESIGN.md)" },
    schema: [],
  },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const rel = relative(root, file).split(sep).join('/');
    const fromLayer = layerOf(rel);
    if (!fromLayer) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      const isShared = fromLayer.startsWith('shared/');
      if (nodeBuiltins.has(spec) || spec.startsWith('node:')) {
        if (isShared || fromLayer === 'renderer') {
          context.report({ node, message: `${fromLayer} must not import the Node module '${spec}' (it stays free of Node so it can run anywhere)` });
        }
        return;
      }
      if (spec === 'electron' || spec.startsWith('electron/')) {
        if (fromLayer !== 'main/electron') {
          context.report({ node, message: `only src-main/electron may import '${spec}' (${fromLayer} must run without Electron)` });
        }
        return;
      }
      const target = resolveTarget(file, spec);
      if (target === null) {
        if (isShared) context.report({ node, message: `${fromLayer} must not import the package '${spec}': src-shared is pure TypeScript` });
        return;
      }
      const toLayer = layerOf(target);
      if (!toLayer) {
        context.report({ node, message: `${fromLayer} imports '${spec}', which is outside the source layers` });
        return;
      }
      if (!allowed[fromLayer].includes(toLayer)) {
        context.report({
          node,
          message: `layering: ${fromLayer} may not import ${toLayer} ('${spec}'); allowed: ${allowed[fromLayer].join(', ')}`,
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportType: (node) => {
        const lit = node.argument?.literal ?? node.argument;
        if (lit && lit.type === 'Literal') check(node, lit.value);
      },
    };
  },
};
