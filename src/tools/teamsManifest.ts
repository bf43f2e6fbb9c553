import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import zlib from 'node:zlib';

/**
 * The Teams app package's checks, shared by `npm run teams:package` (which refuses to write a package Teams would
 * reject) and test/teams/appPackage.test.ts: the manifest and its localization files against the JSON schemas bundled
 * in @microsoft/app-manifest (offline: its own `validateManifest` downloads the schema), plus what the schema cannot
 * see — icon sizes, an outline icon that is white on transparent, the command lengths Teams shows, a translation
 * for every command, and no `${{PLACEHOLDER}}` left unfilled.
 */

/** `${{MICROSOFT_APP_ID}}`: the placeholder syntax of the Teams Toolkit, so the template reads as Teams developers expect. */
const PLACEHOLDER = /\$\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
const ONLY_A_PLACEHOLDER = /^\$\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$/;

/** Teams cuts longer command titles and descriptions in its command menu (and the store validation rejects them). */
export const MAX_COMMAND_TITLE = 32;
export const MAX_COMMAND_DESCRIPTION = 128;
export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;

export type PlaceholderValues = Readonly<Record<string, string | undefined>>;

/**
 * The template with every `${{NAME}}` replaced by values[NAME]. A placeholder without a value stays as it is (and
 * validation reports it), except an array item that is nothing but such a placeholder: that item is dropped, and an
 * array left empty by it is dropped too — no BOT_DOMAIN means no `validDomains`, not an empty or unfilled one.
 */
export function fillManifest<T>(template: T, values: PlaceholderValues): T {
  const has = (name: string) => values[name] !== undefined && values[name] !== '';
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(PLACEHOLDER, (whole, name: string) => (has(name) ? (values[name] as string) : whole));
    if (Array.isArray(value)) {
      return value.filter((item) => !(typeof item === 'string' && ONLY_A_PLACEHOLDER.test(item) && !has(item.slice(3, -2)))).map(fill);
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).flatMap(([key, item]): Array<[string, unknown]> => {
        const filled = fill(item);
        const emptied = Array.isArray(item) && item.length > 0 && Array.isArray(filled) && filled.length === 0;
        return emptied ? [] : [[key, filled]];
      });
      return Object.fromEntries(entries);
    }
    return value;
  };
  return fill(template) as T;
}

/** Every placeholder still in a document, with where it is ("/bots/0/botId: ${{MICROSOFT_APP_ID}}"). */
export function unfilledPlaceholders(document: unknown, path = ''): string[] {
  if (typeof document === 'string') return [...document.matchAll(PLACEHOLDER)].map((match) => `${path || '/'}: ${match[0]}`);
  if (Array.isArray(document)) return document.flatMap((item, index) => unfilledPlaceholders(item, `${path}/${index}`));
  if (document && typeof document === 'object') return Object.entries(document).flatMap(([key, item]) => unfilledPlaceholders(item, `${path}/${key}`));
  return [];
}

// --- The JSON schemas, through @microsoft/app-manifest -----------------------------------------------------------

interface AppManifestModule {
  ManifestUtil: { validateManifestAgainstSchema(document: unknown, schema: unknown): Promise<string[]> };
}

const requireHere = createRequire(__filename);

/**
 * @microsoft/app-manifest is a devDependency (with ajv, only the packaging step needs it), while teams:package runs
 * from dist/: so it is required when first needed, and its absence explained rather than thrown as a bare stack.
 */
function appManifest(): { module: AppManifestModule; root: string } {
  try {
    return {
      module: requireHere('@microsoft/app-manifest') as AppManifestModule,
      root: dirname(requireHere.resolve('@microsoft/app-manifest/package.json')),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      'Checking the Teams manifest needs @microsoft/app-manifest, a devDependency that is not installed here ' +
        '(npm ci --omit=dev or NODE_ENV=production leave it out). Run `npm install` with dev dependencies, then try again.',
    );
  }
}

/** The folder of the schemas for one manifest version, e.g. …/json-schemas/teams/v1.30. */
function schemaDir(root: string, version: string): string | undefined {
  const teams = join(root, 'build', 'json-schemas', 'teams');
  return readdirSync(teams).includes(`v${version}`) ? join(teams, `v${version}`) : undefined;
}

/** The newest numbered manifest version whose schema @microsoft/app-manifest bundles ("1.30"); not the dev preview. */
export function newestBundledSchemaVersion(): string {
  const versions = readdirSync(join(appManifest().root, 'build', 'json-schemas', 'teams'))
    .map((name) => /^v(\d+)\.(\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]));
  const newest = versions.at(-1);
  if (!newest) throw new Error('@microsoft/app-manifest bundles no Teams manifest schema');
  return `${newest[1]}.${newest[2]}`;
}

/**
 * A schema as ajv can compile it. ajv reads patterns as Unicode regular expressions, where some of Microsoft's are
 * invalid: the localization schema's `…\b]\.description$` has a bare `]`, and older schemas use `\a` — the same
 * problem @microsoft/app-manifest works around when it downloads a schema (microsoft-teams-app-schema issue 190).
 * Such a pattern gets its bare `]` escaped and `\a` written as `\x07`, which means the same.
 */
function unicodeSafeSchema(schema: unknown): unknown {
  const safe = (pattern: string) => {
    try {
      new RegExp(pattern, 'u');
      return pattern;
    } catch {
      let out = '';
      let inClass = false;
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '\\') {
          const next = pattern[i + 1] ?? '';
          out += next === 'a' ? '\\x07' : c + next;
          i++;
        } else if (c === '[' && !inClass) {
          inClass = true;
          out += c;
        } else if (c === ']') {
          out += inClass ? c : '\\]';
          inClass = false;
        } else out += c;
      }
      return out;
    }
  };
  const walk = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item));
    if (!node || typeof node !== 'object') return key === 'pattern' && typeof node === 'string' ? safe(node) : node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => (key === 'patternProperties' ? [safe(k), walk(v)] : [k, walk(v, k)])),
    );
  };
  return walk(schema);
}

const schemas = new Map<string, unknown>();
function bundledSchema(version: string, file: string): unknown {
  const { root } = appManifest();
  const dir = schemaDir(root, version);
  if (!dir) return undefined;
  const path = join(dir, file);
  if (!schemas.has(path)) schemas.set(path, unicodeSafeSchema(requireHere(path)));
  return schemas.get(path);
}

async function againstSchema(document: unknown, version: string, file: string, label: string): Promise<string[]> {
  const schema = bundledSchema(version, file);
  if (!schema) return [`${label}: no bundled schema for manifest version ${version} (@microsoft/app-manifest has up to ${newestBundledSchemaVersion()})`];
  const errors = await appManifest().module.ManifestUtil.validateManifestAgainstSchema(document, schema);
  return errors.map((error) => `${label}: ${error.startsWith(' ') ? `(root)${error}` : error}`);
}

// --- The manifest -------------------------------------------------------------------------------------------------

interface Command {
  title?: unknown;
  description?: unknown;
}
interface ManifestShape {
  manifestVersion?: unknown;
  icons?: { color?: unknown; outline?: unknown };
  localizationInfo?: { additionalLanguages?: Array<{ languageTag?: unknown; file?: unknown }> };
  bots?: Array<{ scopes?: unknown[]; commandLists?: Array<{ scopes?: unknown[]; commands?: Command[] }> }>;
}

function versionOf(manifest: unknown): string | undefined {
  const version = (manifest as ManifestShape | undefined)?.manifestVersion;
  return typeof version === 'string' ? version : undefined;
}

/** Every bot command as [localization key prefix, command]: "bots[0].commandLists[1].commands[0]". */
function commandsOf(manifest: unknown): Array<[key: string, command: Command]> {
  const bots = (manifest as ManifestShape).bots ?? [];
  return bots.flatMap((bot, b) => (bot.commandLists ?? []).flatMap((list, l) => (list.commands ?? []).map((command, c): [string, Command] => [`bots[${b}].commandLists[${l}].commands[${c}]`, command])));
}

/** What Teams shows of a command, within the lengths its command menu allows. */
function commandLengthProblems(label: string, key: string, title: unknown, description: unknown): string[] {
  const problems: string[] = [];
  if (typeof title === 'string' && [...title].length > MAX_COMMAND_TITLE) problems.push(`${label}: ${key}.title "${title}" is longer than ${MAX_COMMAND_TITLE} characters`);
  if (typeof description === 'string' && [...description].length > MAX_COMMAND_DESCRIPTION) {
    problems.push(`${label}: ${key}.description is longer than ${MAX_COMMAND_DESCRIPTION} characters`);
  }
  return problems;
}

/** The manifest against its version's bundled schema, plus the rules the schema does not state. */
export async function validateTeamsManifest(manifest: unknown): Promise<string[]> {
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) return ['manifest.json: not a JSON object'];
  const version = versionOf(manifest);
  if (!version) return ['manifest.json: manifestVersion is missing'];
  const problems = await againstSchema(manifest, version, 'MicrosoftTeams.schema.json', 'manifest.json');
  problems.push(...unfilledPlaceholders(manifest).map((where) => `manifest.json: placeholder not filled in at ${where}`));

  for (const [key, command] of commandsOf(manifest)) problems.push(...commandLengthProblems('manifest.json', key, command.title, command.description));
  for (const [b, bot] of ((manifest as ManifestShape).bots ?? []).entries()) {
    for (const [l, list] of (bot.commandLists ?? []).entries()) {
      // A command list for a scope the bot is not installed in is never shown: a mistake, not a choice.
      for (const scope of list.scopes ?? []) if (!bot.scopes?.includes(scope)) problems.push(`manifest.json: bots[${b}].commandLists[${l}] is for scope "${String(scope)}", which the bot does not have`);
      const titles = (list.commands ?? []).map((command) => command.title);
      for (const title of new Set(titles.filter((t, i) => titles.indexOf(t) !== i))) problems.push(`manifest.json: bots[${b}].commandLists[${l}] has the title "${String(title)}" twice`);
    }
  }
  return problems;
}

/**
 * A localization file (en-US.json) against the bundled localization schema, and against the manifest: every
 * command's title and description translated, no key for a command or field the manifest does not have.
 */
export async function validateLocalization(localization: unknown, manifest: unknown, file: string): Promise<string[]> {
  if (!localization || typeof localization !== 'object' || Array.isArray(localization)) return [`${file}: not a JSON object`];
  const version = versionOf(manifest) ?? '';
  const problems = await againstSchema(localization, version, 'MicrosoftTeams.Localization.schema.json', file);
  problems.push(...unfilledPlaceholders(localization).map((where) => `${file}: placeholder not filled in at ${where}`));

  const strings = localization as Record<string, unknown>;
  const expected = new Set<string>();
  for (const [key, command] of commandsOf(manifest)) {
    for (const field of ['title', 'description'] as const) {
      if (command[field] === undefined) continue;
      expected.add(`${key}.${field}`);
      if (typeof strings[`${key}.${field}`] !== 'string') problems.push(`${file}: no translation of ${key}.${field} ("${String(command[field])}")`);
    }
    problems.push(...commandLengthProblems(file, key, strings[`${key}.title`], strings[`${key}.description`]));
  }
  for (const key of Object.keys(strings).filter((k) => k.startsWith('bots['))) {
    if (!expected.has(key)) problems.push(`${file}: ${key} translates nothing in manifest.json`);
  }
  return problems;
}

// --- Icons --------------------------------------------------------------------------------------------------------

export interface Png {
  width: number;
  height: number;
  /** 8-bit RGBA, row by row; only when the format could be decoded here. */
  rgba?: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads a PNG's size from IHDR and, for the non-interlaced 8-bit formats image editors write (grey, RGB, palette,
 * grey+alpha, RGBA), its pixels. Throws on something that is not a PNG at all.
 */
export function readPng(data: Buffer): Png {
  if (data.length < 33 || !data.subarray(0, 8).equals(PNG_SIGNATURE) || data.toString('ascii', 12, 16) !== 'IHDR') throw new Error('not a PNG file');
  const width = data.readUInt32BE(16);
  const height = data.readUInt32BE(20);
  const [depth, colourType, , , interlace] = data.subarray(24, 29);
  const chunks: Record<string, Buffer[]> = {};
  for (let at = 8; at + 8 <= data.length; ) {
    const length = data.readUInt32BE(at);
    const type = data.toString('ascii', at + 4, at + 8);
    (chunks[type] ??= []).push(data.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (depth !== 8 || !channels || interlace !== 0 || !chunks.IDAT) return { width, height };

  const raw = zlib.inflateSync(Buffer.concat(chunks.IDAT));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const upLeft = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const paeth = () => {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      };
      const predictor = [0, left, up, (left + up) >> 1, filter === 4 ? paeth() : 0][filter] ?? 0;
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }

  const palette = chunks.PLTE?.[0];
  const paletteAlpha = chunks.tRNS?.[0];
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = pixels.subarray(i * channels, (i + 1) * channels);
    const value: number[] =
      colourType === 0 ? [p[0], p[0], p[0], 255]
      : colourType === 2 ? [p[0], p[1], p[2], 255]
      : colourType === 3 ? [palette?.[p[0] * 3] ?? 0, palette?.[p[0] * 3 + 1] ?? 0, palette?.[p[0] * 3 + 2] ?? 0, paletteAlpha?.[p[0]] ?? 255]
      : colourType === 4 ? [p[0], p[0], p[0], p[1]]
      : [p[0], p[1], p[2], p[3]];
    rgba.set(value, i * 4);
  }
  return { width, height, rgba };
}

/**
 * The icons the manifest names, as Teams wants them: the colour icon 192×192, the outline icon 32×32 and white on
 * transparent (any pixel that is not fully transparent must be pure white; Teams tints it through the alpha).
 */
export function validateIcons(manifest: unknown, fileOf: (name: string) => Buffer | undefined): string[] {
  const icons = (manifest as ManifestShape).icons ?? {};
  const problems: string[] = [];
  const read = (role: string, name: unknown): Png | undefined => {
    if (typeof name !== 'string') return undefined; // the schema reports it
    const data = fileOf(name);
    if (!data) {
      problems.push(`icons.${role}: ${name} is missing`);
      return undefined;
    }
    try {
      return readPng(data);
    } catch (error) {
      problems.push(`icons.${role}: ${name} is ${(error as Error).message}`);
      return undefined;
    }
  };
  const color = read('color', icons.color);
  if (color && (color.width !== COLOR_ICON_SIZE || color.height !== COLOR_ICON_SIZE)) {
    problems.push(`icons.color: ${String(icons.color)} is ${color.width}×${color.height}, must be ${COLOR_ICON_SIZE}×${COLOR_ICON_SIZE}`);
  }
  const outline = read('outline', icons.outline);
  if (outline && (outline.width !== OUTLINE_ICON_SIZE || outline.height !== OUTLINE_ICON_SIZE)) {
    problems.push(`icons.outline: ${String(icons.outline)} is ${outline.width}×${outline.height}, must be ${OUTLINE_ICON_SIZE}×${OUTLINE_ICON_SIZE}`);
  }
  if (outline && !outline.rgba) problems.push(`icons.outline: ${String(icons.outline)} could not be read here; save it as a non-interlaced 8-bit RGBA PNG`);
  if (outline?.rgba) {
    let coloured = 0;
    for (let i = 0; i < outline.rgba.length; i += 4) {
      const [r, g, b, a] = outline.rgba.subarray(i, i + 4);
      if (a > 0 && (r !== 255 || g !== 255 || b !== 255)) coloured++;
    }
    if (coloured) problems.push(`icons.outline: ${String(icons.outline)} has ${coloured} pixels that are neither white nor fully transparent`);
  }
  return problems;
}

/**
 * A whole app package, as file name → contents: manifest.json, the icons and localization files it names. This is
 * what teams:package checks before it writes the zip, so a package it writes is one Teams accepts.
 */
export async function validateTeamsPackage(files: ReadonlyMap<string, Buffer>): Promise<string[]> {
  const parse = (name: string): { value?: unknown; problem?: string } => {
    const data = files.get(name);
    if (!data) return { problem: `${name} is missing` };
    try {
      return { value: JSON.parse(data.toString('utf8').replace(/^\uFEFF/, '')) };
    } catch (error) {
      return { problem: `${name}: not valid JSON (${(error as Error).message})` };
    }
  };
  const manifest = parse('manifest.json');
  if (manifest.problem) return [manifest.problem];
  const problems = await validateTeamsManifest(manifest.value);
  problems.push(...validateIcons(manifest.value, (name) => files.get(name)));
  for (const language of (manifest.value as ManifestShape).localizationInfo?.additionalLanguages ?? []) {
    if (typeof language.file !== 'string') continue; // the schema reports it
    const localization = parse(language.file);
    if (localization.problem) problems.push(`localizationInfo (${String(language.languageTag)}): ${localization.problem}`);
    else problems.push(...(await validateLocalization(localization.value, manifest.value, language.file)));
  }
  return problems;
}
