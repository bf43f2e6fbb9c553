import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadDotEnv } from '../config';
import { fillManifest, validateTeamsPackage, type PlaceholderValues } from './teamsManifest';
import { createZip } from './zip';

/**
 * `npm run teams:package`: appPackage/manifest.json with its placeholders filled in from the environment (and .env,
 * as `npm start` reads it), checked as Teams would check it, zipped with its icons and translations into
 * appPackage/build/appPackage.zip — the file to upload in Teams (docs/teams.md).
 *
 *   MicrosoftAppId   required: the bot's app ID (or the managed identity's client ID), the manifest's bots[0].botId
 *   TEAMS_APP_ID     optional: the Teams app's own ID; by default derived from MicrosoftAppId, so every rebuild of the
 *                    package is the same app to Teams (an upload updates it instead of adding a second one)
 *   BOT_DOMAIN       optional: the bot's host name for validDomains; else the host of BOT_ENDPOINT; else none
 */

export class TeamsPackageError extends Error {}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** This project's namespace for name-based (v5) UUIDs; fixed, so one MicrosoftAppId always gives the same Teams app ID. */
const TEAMS_APP_ID_NAMESPACE = '6b0f2c8e-3c1d-4f5a-9e47-2d8b1a0c7e51';

/** RFC 9562 UUID version 5: SHA-1 of namespace and name, with the version and variant bits set. */
export function uuidV5(name: string, namespace = TEAMS_APP_ID_NAMESPACE): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A host name for validDomains: "bot.example.com" as given, or the host of a URL someone pasted instead. */
function hostOf(value: string, variable: string): string {
  const trimmed = value.trim();
  try {
    const url = new URL(trimmed.includes('://') ? trimmed : `https://${trimmed}`);
    if (url.hostname && (trimmed.includes('://') || url.host === trimmed.toLowerCase())) return url.hostname;
  } catch {
    // reported below
  }
  throw new TeamsPackageError(`${variable} must be a host name such as bot.example.com (or a https:// URL), not "${value}"`);
}

/** The placeholder values from the environment; a missing or malformed MicrosoftAppId stops the build with why. */
export function placeholderValues(env: NodeJS.ProcessEnv): PlaceholderValues {
  const appId = env.MicrosoftAppId?.trim() ?? '';
  if (!appId) {
    throw new TeamsPackageError(
      'MicrosoftAppId is not set. The Teams package names the bot by its Microsoft App ID: set MicrosoftAppId (in the ' +
        'environment or in .env) to the Application (client) ID of the Azure Bot resource, e.g. ' +
        'MicrosoftAppId=00000000-0000-0000-0000-000000000000 npm run teams:package',
    );
  }
  if (!GUID.test(appId)) throw new TeamsPackageError(`MicrosoftAppId must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), not "${appId}"`);

  const teamsAppId = env.TEAMS_APP_ID?.trim() || uuidV5(appId.toLowerCase());
  if (!GUID.test(teamsAppId)) throw new TeamsPackageError(`TEAMS_APP_ID must be a GUID, not "${teamsAppId}"`);

  const domain = env.BOT_DOMAIN?.trim() ? hostOf(env.BOT_DOMAIN, 'BOT_DOMAIN') : env.BOT_ENDPOINT?.trim() ? hostOf(env.BOT_ENDPOINT, 'BOT_ENDPOINT') : undefined;
  return { MICROSOFT_APP_ID: appId.toLowerCase(), TEAMS_APP_ID: teamsAppId.toLowerCase(), BOT_DOMAIN: domain };
}

export interface TeamsPackage {
  /** The files in the zip, in order, by name. */
  files: Map<string, Buffer>;
  manifest: Record<string, unknown>;
  zip: Buffer;
}

/** Reads the template under `appDir`, fills it in, checks the result, zips it; throws TeamsPackageError with every problem. */
export async function buildTeamsPackage(appDir: string, env: NodeJS.ProcessEnv): Promise<TeamsPackage> {
  const values = placeholderValues(env);
  const readJson = (name: string): unknown => {
    const path = join(appDir, name);
    if (!existsSync(path)) throw new TeamsPackageError(`${path} is missing`);
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new TeamsPackageError(`${path}: not valid JSON (${(error as Error).message})`);
    }
  };
  const manifest = fillManifest(readJson('manifest.json'), values) as Record<string, unknown> & {
    icons?: { color?: unknown; outline?: unknown };
    localizationInfo?: { additionalLanguages?: Array<{ file?: unknown }> };
  };

  // manifest.json first, then the icons and translations it names: nothing else goes to Teams.
  const files = new Map<string, Buffer>([['manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]]);
  for (const name of [manifest.icons?.color, manifest.icons?.outline]) {
    if (typeof name === 'string' && existsSync(join(appDir, name))) files.set(name, readFileSync(join(appDir, name)));
  }
  for (const { file } of manifest.localizationInfo?.additionalLanguages ?? []) {
    if (typeof file === 'string' && existsSync(join(appDir, file))) files.set(file, Buffer.from(`${JSON.stringify(fillManifest(readJson(file), values), null, 2)}\n`));
  }

  const problems = await validateTeamsPackage(files);
  if (problems.length) throw new TeamsPackageError(`The Teams app package is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { files, manifest, zip: createZip([...files].map(([name, data]) => ({ name, data }))) };
}

/** Builds the package and writes it to appPackage/build/appPackage.zip (or `outFile`); returns where. */
export async function writeTeamsPackage(appDir: string, env: NodeJS.ProcessEnv, outFile = join(appDir, 'build', 'appPackage.zip')): Promise<{ path: string; pkg: TeamsPackage }> {
  const pkg = await buildTeamsPackage(appDir, env);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, pkg.zip);
  return { path: outFile, pkg };
}

async function main(): Promise<void> {
  try {
    // npm runs scripts from the project root, where appPackage/ and .env are.
    loadDotEnv();
    const { path, pkg } = await writeTeamsPackage(join(process.cwd(), 'appPackage'), process.env);
    const bot = (pkg.manifest.bots as Array<{ botId: string }> | undefined)?.[0];
    console.log(`Teams app package: ${relative(process.cwd(), path)}`);
    console.log(`  app id ${String(pkg.manifest.id)}, bot id ${bot?.botId}, files: ${[...pkg.files.keys()].join(', ')}`);
    if (!pkg.manifest.validDomains) console.log('  no validDomains (set BOT_DOMAIN or BOT_ENDPOINT to list the bot\'s host)');
    console.log('Upload it in Teams: Apps → Manage your apps → Upload an app → Upload a custom app (docs/teams.md).');
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

// Run as a command (node dist/src/tools/teamsPackage.js), not when a test imports it.
if (require.main === module) void main();
