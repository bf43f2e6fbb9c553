import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import zlib from 'node:zlib';
import nock from 'nock';
import { TestAdapter, TurnContext } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  fillManifest,
  MAX_COMMAND_TITLE,
  newestBundledSchemaVersion,
  readPng,
  validateIcons,
  validateLocalization,
  validateTeamsManifest,
  validateTeamsPackage,
} from '../../src/tools/teamsManifest';
import { buildTeamsPackage, placeholderValues, TeamsPackageError, uuidV5, writeTeamsPackage } from '../../src/tools/teamsPackage';
import { ACCENT_COLOR, colorIcon, encodePng, outlineIcon } from '../../src/tools/teamsIcons';
import { createZip, crc32, softwareCrc32 } from '../../src/tools/zip';
import { recognizeWish } from '../../dialogs/prompts';
import { setTurnLanguage } from '../../src/conversation/language';
import type { Language } from '../../src/i18n';
import { recognizer, vocabulary } from '../support/bot';

/**
 * The Teams app package (appPackage/, `npm run teams:package`): the committed manifest and its English translation are
 * valid against the JSON schemas bundled in @microsoft/app-manifest — checked offline — the icons are what Teams
 * wants, every command is something the bot understands, the checks catch a broken manifest, and the package step
 * writes a zip that holds exactly the app's files.
 */
const root = resolve(__dirname, '../..');
const appDir = join(root, 'appPackage');
const APP_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const readJson = (name: string) => JSON.parse(readFileSync(join(appDir, name), 'utf8')) as Record<string, any>;
const template = readJson('manifest.json');
const english = readJson('en-US.json');
const values = { MICROSOFT_APP_ID: APP_ID, TEAMS_APP_ID: uuidV5(APP_ID), BOT_DOMAIN: 'bot.example.com' };
const manifest = fillManifest(template, values);
const committedFile = (name: string) => readFileSync(join(appDir, name));
const clone = <T>(value: T): T => structuredClone(value);

beforeAll(() => {
  // Everything here is offline: @microsoft/app-manifest's validateManifest would download the schema, and must not be used.
  nock.disableNetConnect();
  vi.stubGlobal('fetch', () => Promise.reject(new Error('no network in the Teams package tests')));
});
afterAll(() => {
  nock.enableNetConnect();
  vi.unstubAllGlobals();
});

/** A ZIP read back independently of src/tools/zip.ts: central directory, local headers, inflate, CRC of every file. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(0);
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  expect(at + size).toBe(end);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const uncompressedSize = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    expect(zip.toString('utf8', local + 30, local + 30 + zip.readUInt16LE(local + 26))).toBe(name);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const stored = zip.subarray(start, start + compressedSize);
    expect([0, 8]).toContain(method);
    const data = method === 8 ? zlib.inflateRawSync(stored) : Buffer.from(stored);
    expect(data.length, name).toBe(uncompressedSize);
    expect(zlib.crc32(data) >>> 0, name).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return files;
}

describe('the committed app package (appPackage/)', () => {
  it('is on the newest manifest schema that @microsoft/app-manifest bundles, and names it', () => {
    const version = newestBundledSchemaVersion();
    expect(Number(version.split('.')[1])).toBeGreaterThanOrEqual(19);
    expect(template.manifestVersion).toBe(version);
    expect(template.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`);
    expect(english.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${version}/MicrosoftTeams.Localization.schema.json`);
  });

  it('filled in with a sample app ID, the manifest validates against the bundled schema', async () => {
    expect(await validateTeamsManifest(manifest)).toEqual([]);
    expect(manifest.bots[0].botId).toBe(APP_ID);
    expect(manifest.id).toBe(values.TEAMS_APP_ID);
    expect(manifest.validDomains).toEqual(['bot.example.com']);
  });

  it('is Swedish by default with an English translation that validates and covers every command', async () => {
    expect(manifest.localizationInfo).toEqual({ defaultLanguageTag: 'sv-SE', additionalLanguages: [{ languageTag: 'en-US', file: 'en-US.json' }] });
    expect(await validateLocalization(english, manifest, 'en-US.json')).toEqual([]);
  });

  it('has the icons Teams wants: colour 192×192, outline 32×32 in white on transparent', () => {
    expect(readPng(committedFile('color.png'))).toMatchObject({ width: 192, height: 192 });
    const outline = readPng(committedFile('outline.png'));
    expect(outline).toMatchObject({ width: 32, height: 32 });
    const pixels = [...Array(32 * 32).keys()].map((i) => [...(outline.rgba as Buffer).subarray(i * 4, i * 4 + 4)]);
    expect(pixels.filter(([r, g, b, a]) => a > 0 && (r !== 255 || g !== 255 || b !== 255))).toEqual([]);
    expect(pixels.filter(([, , , a]) => a === 255).length).toBeGreaterThan(100); // something is drawn
    expect(pixels.filter(([, , , a]) => a === 0).length).toBeGreaterThan(300); // on a transparent background
    expect(validateIcons(manifest, committedFile)).toEqual([]);
  });

  it('has the icons the generator draws, in the accent colour of the manifest', () => {
    // Pixels, not bytes: another zlib may compress the same pixels differently.
    expect(readPng(committedFile('color.png')).rgba?.equals(readPng(colorIcon()).rgba as Buffer)).toBe(true);
    expect(readPng(committedFile('outline.png')).rgba?.equals(readPng(outlineIcon()).rgba as Buffer)).toBe(true);
    expect(manifest.accentColor).toBe(ACCENT_COLOR);
    const color = readPng(committedFile('color.png')).rgba as Buffer;
    const accent = [1, 3, 5].map((i) => Number.parseInt(ACCENT_COLOR.slice(i, i + 2), 16));
    expect([...color.subarray((10 * 192 + 96) * 4, (10 * 192 + 96) * 4 + 4)]).toEqual([...accent, 255]); // the background
    expect(color[(96 * 192 + 60) * 4 + 3]).toBe(255); // opaque, also inside the bubble
  });

  it('offers the account commands in a personal chat only; in a team or group chat only general ones', () => {
    const bot = manifest.bots[0];
    expect(bot).toMatchObject({ scopes: ['personal', 'team', 'groupChat'], supportsFiles: false, isNotificationOnly: false });
    expect(bot.commandLists.map((list: { scopes: string[] }) => list.scopes)).toEqual([['personal'], ['team'], ['groupChat']]);
    for (const list of bot.commandLists) {
      for (const command of list.commands) expect([...command.title].length, command.title).toBeLessThanOrEqual(MAX_COMMAND_TITLE);
    }
    expect(manifest.permissions).toEqual(['identity', 'messageTeamMembers']);
    expect(manifest.webApplicationInfo).toBeUndefined();
  });

  /**
   * A command is sent as its title, as if typed. Each one, in Swedish and in its English translation, must reach the
   * wish it stands for through the main menu's own recognition (menu phrase, interruption phrase, then the NLU); in a
   * team or group chat none may be an account wish or "a person", which the bot turns away there.
   */
  const WISHES: string[][] = [
    ['cancel', 'fastRevoke', 'reactivate', 'general', 'person', 'help'],
    ['general', 'help'],
    ['general', 'help'],
  ];
  const wishOf = async (text: string, language: Language) => {
    const context = new TurnContext(new TestAdapter(), { type: 'message', text, channelId: 'msteams', locale: language === 'sv' ? 'sv-SE' : 'en-US' });
    setTurnLanguage(context, language);
    return recognizeWish(context, vocabulary, recognizer, { optionsShowing: false });
  };

  it('has command titles the bot understands as the wish they stand for, in Swedish and in English', async () => {
    const lists: Array<{ commands: Array<{ title: string }> }> = manifest.bots[0].commandLists;
    expect(lists.map((list) => list.commands.length)).toEqual(WISHES.map((wishes) => wishes.length));
    const understood: string[] = [];
    const expected: string[] = [];
    for (const [l, list] of lists.entries()) {
      for (const [c, command] of list.commands.entries()) {
        const englishTitle = english[`bots[0].commandLists[${l}].commands[${c}].title`] as string;
        understood.push(`${command.title} → ${await wishOf(command.title, 'sv')}`, `${englishTitle} → ${await wishOf(englishTitle, 'en')}`);
        expected.push(`${command.title} → ${WISHES[l][c]}`, `${englishTitle} → ${WISHES[l][c]}`);
      }
    }
    expect(understood).toEqual(expected);
    for (const wishes of WISHES.slice(1)) for (const wish of wishes) expect(['cancel', 'fastRevoke', 'reactivate', 'person']).not.toContain(wish);
  });

  it('leaves validDomains out when there is no BOT_DOMAIN, instead of an unfilled placeholder', async () => {
    const withoutDomain = fillManifest(template, { ...values, BOT_DOMAIN: undefined });
    expect(withoutDomain).not.toHaveProperty('validDomains');
    expect(await validateTeamsManifest(withoutDomain)).toEqual([]);
  });
});

describe('the checks catch what Teams would reject', () => {
  it('the unfilled template: every placeholder, and the bot ID that is not a GUID', async () => {
    const problems = await validateTeamsManifest(template);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/bots\/0\/botId must match pattern/),
        expect.stringMatching(/\/id must match pattern/),
        'manifest.json: placeholder not filled in at /bots/0/botId: ${{MICROSOFT_APP_ID}}',
        'manifest.json: placeholder not filled in at /validDomains/0: ${{BOT_DOMAIN}}',
      ]),
    );
  });

  it('a missing required field, a bad bot ID, an unknown property, a bad colour', async () => {
    const broken = clone(manifest);
    delete broken.developer;
    broken.bots[0].botId = 'not-a-guid';
    broken.accentColour = '#fff';
    broken.accentColor = 'blue';
    const problems = await validateTeamsManifest(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/must have required property 'developer'/),
        expect.stringMatching(/\/bots\/0\/botId must match pattern/),
        expect.stringMatching(/must NOT have additional properties.*accentColour/),
        expect.stringMatching(/\/accentColor must match pattern/),
      ]),
    );
  });

  it('a manifest version without a bundled schema, and one that is not a JSON object', async () => {
    expect(await validateTeamsManifest({ ...manifest, manifestVersion: '0.9' })).toEqual([expect.stringMatching(/no bundled schema for manifest version 0\.9/)]);
    expect(await validateTeamsManifest([])).toEqual(['manifest.json: not a JSON object']);
  });

  it('what the schema allows but Teams shows badly: a long title, a command list for a scope the bot lacks, a duplicate', async () => {
    const broken = clone(manifest);
    broken.bots[0].commandLists[0].commands[0].title = 'Säga upp prenumerationen vid periodens slut';
    broken.bots[0].commandLists[1].commands[1].title = broken.bots[0].commandLists[1].commands[0].title;
    broken.bots[0].scopes = ['personal', 'team'];
    expect(await validateTeamsManifest(broken)).toEqual([
      expect.stringMatching(/commands\[0\]\.title "Säga upp prenumerationen vid periodens slut" is longer than 32/),
      expect.stringMatching(/commandLists\[1\] has the title "Vad gäller vid uppsägning\?" twice/),
      'manifest.json: bots[0].commandLists[2] is for scope "groupChat", which the bot does not have',
    ]);
  });

  it('a translation that is missing, too long, translates nothing or breaks the localization schema', async () => {
    const broken = clone(english);
    delete broken['bots[0].commandLists[0].commands[2].title'];
    broken['bots[0].commandLists[1].commands[0].description'] = 'x'.repeat(129);
    broken['bots[0].commandLists[0].commands[9].title'] = 'Extra';
    broken['name.short'] = 'A name far longer than the thirty characters allowed';
    broken.unknown = 'x';
    expect(await validateLocalization(broken, manifest, 'en-US.json')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/en-US\.json: \/name\.short must NOT have more than 30 characters/),
        expect.stringMatching(/en-US\.json: .*must NOT have additional properties.*unknown/),
        'en-US.json: no translation of bots[0].commandLists[0].commands[2].title ("Återaktivera")',
        'en-US.json: bots[0].commandLists[1].commands[0].description is longer than 128 characters',
        'en-US.json: bots[0].commandLists[0].commands[9].title translates nothing in manifest.json',
      ]),
    );
  });

  it('icons of the wrong size, an outline icon with colour in it, an icon that is not a PNG or not there', () => {
    const colored = Buffer.alloc(32 * 32 * 4, 0);
    colored.set([255, 0, 0, 255], 0);
    const files: Record<string, Buffer> = { 'color.png': encodePng(100, 100, Buffer.alloc(100 * 100 * 4, 255)), 'outline.png': encodePng(32, 32, colored) };
    expect(validateIcons(manifest, (name) => files[name])).toEqual([
      'icons.color: color.png is 100×100, must be 192×192',
      'icons.outline: outline.png has 1 pixels that are neither white nor fully transparent',
    ]);
    expect(validateIcons(manifest, (name) => (name === 'color.png' ? Buffer.from('GIF89a') : undefined))).toEqual([
      'icons.color: color.png is not a PNG file',
      'icons.outline: outline.png is missing',
    ]);
  });

  it('a whole package: a missing translation file, a manifest that is not JSON', async () => {
    const files = new Map([
      ['manifest.json', Buffer.from(JSON.stringify(manifest))],
      ['color.png', committedFile('color.png')],
      ['outline.png', committedFile('outline.png')],
    ]);
    expect(await validateTeamsPackage(files)).toEqual(['localizationInfo (en-US): en-US.json is missing']);
    expect(await validateTeamsPackage(new Map([['manifest.json', Buffer.from('{ nope')]]))).toEqual([expect.stringMatching(/^manifest\.json: not valid JSON/)]);
  });
});

describe('npm run teams:package', () => {
  const env = { MicrosoftAppId: APP_ID.toUpperCase(), BOT_ENDPOINT: 'https://bot.example.com/api/messages' };
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'teams-package-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes a zip with exactly the app files at its root, the IDs filled in', async () => {
    const { path } = await writeTeamsPackage(appDir, env, join(out, 'appPackage.zip'));
    const files = readZip(readFileSync(path));
    expect([...files.keys()].sort()).toEqual(['color.png', 'en-US.json', 'manifest.json', 'outline.png']);
    const packed = JSON.parse((files.get('manifest.json') as Buffer).toString('utf8'));
    expect(packed.bots[0].botId).toBe(APP_ID);
    expect(packed.id).toBe(uuidV5(APP_ID));
    expect(packed.id).not.toBe(APP_ID);
    expect(packed.validDomains).toEqual(['bot.example.com']);
    expect(JSON.stringify(packed)).not.toContain('${{');
    expect({ ...packed, id: template.id, bots: template.bots, validDomains: template.validDomains }).toEqual(template);
    expect(JSON.parse((files.get('en-US.json') as Buffer).toString('utf8'))).toEqual(english);
    expect(files.get('color.png')?.equals(committedFile('color.png'))).toBe(true);
    expect(files.get('outline.png')?.equals(committedFile('outline.png'))).toBe(true);
    expect(await validateTeamsPackage(files)).toEqual([]);
  });

  it.skipIf(spawnSync('unzip', ['-v']).status !== 0)('writes a zip that unzip reads and tests clean', async () => {
    const { path } = await writeTeamsPackage(appDir, env, join(out, 'unzip.zip'));
    expect(execFileSync('unzip', ['-t', path], { encoding: 'utf8' })).toMatch(/No errors detected/);
  });

  it('gives the same package for the same inputs, so the Teams app ID stays the app\'s', async () => {
    const first = await buildTeamsPackage(appDir, env);
    const second = await buildTeamsPackage(appDir, { ...env, MicrosoftAppId: APP_ID });
    expect(first.zip.equals(second.zip)).toBe(true);
  });

  it('takes the domain from BOT_DOMAIN over BOT_ENDPOINT, an explicit TEAMS_APP_ID, and no domain at all', () => {
    expect(placeholderValues({ ...env, BOT_DOMAIN: 'Other.Example.com' }).BOT_DOMAIN).toBe('other.example.com');
    expect(placeholderValues({ MicrosoftAppId: APP_ID, BOT_ENDPOINT: 'https://bot.example.com:8443/api/messages' }).BOT_DOMAIN).toBe('bot.example.com');
    expect(placeholderValues({ MicrosoftAppId: APP_ID }).BOT_DOMAIN).toBeUndefined();
    const teamsAppId = '11111111-2222-4333-8444-555555555555';
    expect(placeholderValues({ MicrosoftAppId: APP_ID, TEAMS_APP_ID: teamsAppId }).TEAMS_APP_ID).toBe(teamsAppId);
    expect(() => placeholderValues({ MicrosoftAppId: APP_ID, TEAMS_APP_ID: 'app' })).toThrow(/TEAMS_APP_ID must be a GUID/);
    expect(() => placeholderValues({ MicrosoftAppId: APP_ID, BOT_DOMAIN: 'bot.example.com/api' })).toThrow(/BOT_DOMAIN must be a host name/);
  });

  it('refuses without a MicrosoftAppId, or with one that is not a GUID, and says why', async () => {
    await expect(buildTeamsPackage(appDir, {})).rejects.toThrow(TeamsPackageError);
    await expect(buildTeamsPackage(appDir, { MicrosoftAppId: '  ' })).rejects.toThrow(/MicrosoftAppId is not set.*Azure Bot/s);
    await expect(buildTeamsPackage(appDir, { MicrosoftAppId: 'my-bot' })).rejects.toThrow('MicrosoftAppId must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), not "my-bot"');
  });

  it('refuses a broken template and lists the problems, writing nothing', async () => {
    const dir = join(out, 'broken');
    cpSync(appDir, dir, { recursive: true, filter: (source) => !source.includes(`${join('appPackage', 'build')}`) });
    const broken = clone(template);
    delete broken.developer;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(broken));
    writeFileSync(join(dir, 'outline.png'), encodePng(16, 16, Buffer.alloc(16 * 16 * 4, 255)));
    const result = writeTeamsPackage(dir, env);
    await expect(result).rejects.toThrow(TeamsPackageError);
    await expect(result).rejects.toThrow(/must have required property 'developer'[\s\S]*outline\.png is 16×16/);
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });
});

describe('the zip writer and the UUIDs', () => {
  it('computes CRC-32 the same with and without Node\'s zlib.crc32', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff));
    expect(softwareCrc32(data)).toBe(zlib.crc32(data) >>> 0);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the standard check value
  });

  it('stores what deflate would not shrink, deflates the rest, refuses a duplicate name', () => {
    const random = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 151 + 17) % 256));
    const zip = createZip([
      { name: 'a.txt', data: Buffer.from('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') },
      { name: 'b.bin', data: random },
      { name: 'empty', data: Buffer.alloc(0) },
    ]);
    const files = readZip(zip);
    expect(files.get('a.txt')?.toString()).toBe('a'.repeat(40));
    expect(files.get('b.bin')?.equals(random)).toBe(true);
    expect(files.get('empty')?.length).toBe(0);
    expect(() => createZip([{ name: 'x', data: Buffer.alloc(1) }, { name: 'x', data: Buffer.alloc(1) }])).toThrow(/twice/);
  });

  it('derives name-based UUIDs (version 5) as RFC 9562 does', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5(APP_ID)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
