import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's arrow, enforced: a module may import from its own layer or a lower one, never from a layer above.
 * Policy and domain know nothing of Bot Framework; the dialogs are a skin over them; the bot glue sits on the
 * dialogs without importing them; one composition root wires it all; server and chat only start it.
 */
const LAYERS: Array<[layer: number, prefixes: string[]]> = [
  [0, ['src/policy']],
  // The agents' sign-in settings are read with the rest of the configuration (sessions.ts: node:crypto and zod only).
  [1, ['src/i18n', 'src/log', 'src/privacy', 'src/format', 'src/timing', 'src/http', 'src/types', 'src/config', 'src/storage', 'src/console/auth/sessions', 'src/supportHours']],
  [2, ['src/accounts', 'src/verification', 'src/subscriptions', 'src/cases', 'src/handoffs', 'src/understanding', 'src/insights']],
  [3, ['src/conversation']],
  [4, ['dialogs']],
  [5, ['src/bot', 'src/channels']],
  [6, ['src/composition']],
  [7, ['src/server', 'src/index', 'src/chat', 'src/tools', 'src/console']],
];
/** Policy and domain: free of Bot Framework (storage, below them, implements the SDK's Storage contract). */
const POLICY_AND_DOMAIN = new Set([0, 2]);

const root = resolve(__dirname, '../..');

function layerOf(path: string): number {
  const found = LAYERS.find(([, prefixes]) => prefixes.some((prefix) => path === prefix || path === `${prefix}.ts` || path.startsWith(`${prefix}/`)));
  if (!found) throw new Error(`${path} belongs to no layer: add it to LAYERS`);
  return found[0];
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = [...sources('src'), ...sources('dialogs')];
// `import x = require('…')` too: TypeScript's form for a module object, which a layer could otherwise be reached by.
const importsIn = (source: string) => [...source.matchAll(/^(?:(?:import|export)[^;]*?from '([^']+)'|import \w+ = require\('([^']+)'\))/gms)].map((m) => m[1] ?? m[2]);
const importsOf = (file: string) => importsIn(readFileSync(join(root, file), 'utf8'));

/** The relative imports of `file` (with this source) that reach a layer above its own. */
function upwardImports(file: string, source: string): string[] {
  return importsIn(source)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(root, resolve(dirname(join(root, file)), spec)).replace(/\\/g, '/'))
    .filter((target) => layerOf(target) > layerOf(file));
}

describe('layers (README: policy ← domain ← conversation ← dialogs ← bot ← composition ← server / chat)', () => {
  it('knows every source file', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) expect(() => layerOf(file)).not.toThrow();
  });

  it.each(files)('%s imports nothing from a layer above it', (file) => {
    expect(upwardImports(file, readFileSync(join(root, file), 'utf8'))).toEqual([]);
  });

  it.each(files.filter((file) => POLICY_AND_DOMAIN.has(layerOf(file))))('%s (policy or domain) knows nothing of Bot Framework', (file) => {
    expect(importsOf(file).filter((spec) => spec.startsWith('botbuilder') || spec.startsWith('botframework'))).toEqual([]);
  });

  it('the layer test itself catches an upward import, and lets a downward one through', () => {
    // Guards the regex and the path arithmetic with made-up sources.
    const dialogUsingTheRoot = "import { createBotRuntime } from '../src/composition/runtime';\nimport type { Policy } from '../src/policy';\n";
    expect(upwardImports('dialogs/mainDialog.ts', dialogUsingTheRoot)).toEqual(['src/composition/runtime']);
    const botUsingADialog = "import {\n  MainDialog,\n} from '../../dialogs/mainDialog';\n";
    expect(upwardImports('src/bot/supportBot.ts', botUsingADialog)).toEqual([]);
    const policyUsingTheDomain = "export { x } from '../cases/caseLog';\n";
    expect(upwardImports('src/policy/index.ts', policyUsingTheDomain)).toEqual(['src/cases/caseLog']);
    const policyRequiringTheDomain = "import caseLog = require('../cases/caseLog');\n";
    expect(upwardImports('src/policy/index.ts', policyRequiringTheDomain)).toEqual(['src/cases/caseLog']);
  });

  it('the bot glue is handed the main dialog, never imports a dialog', () => {
    for (const file of files.filter((f) => f.startsWith('src/bot/'))) expect(importsOf(file).filter((spec) => spec.includes('dialogs/')), file).toEqual([]);
  });
});
