import { readFileSync, statSync, type Stats } from 'node:fs';
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import type { AgentIdentity } from '../../handoffs/handoffQueue';
import type { Logger } from '../../log';
import { credentialFingerprint, DEFAULT_ACCOUNTS_FILE } from './sessions';

/**
 * Local agent accounts: one JSON file (AGENT_ACCOUNTS_FILE, default ./data/agents.json) written by `npm run agent:add`.
 * Each agent signs in as themselves; passwords are kept as bcrypt hashes (cost 12). The file is read again whenever it
 * changes on disk, so an added, changed or removed account counts from the next request on, without a restart.
 */

export { DEFAULT_ACCOUNTS_FILE };
export const BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt reads the first 72 bytes only: a longer password would be cut silently, so agent:add refuses one. */
export const MAX_PASSWORD_BYTES = 72;
/** What sign-in will even look at; a longer input is wrong without further ado (but costs the same time). */
const MAX_PASSWORD_INPUT = 1024;

/**
 * A bcrypt hash (cost 12) of a random string nobody knows: an unknown account is checked against it, so that a
 * sign-in costs the same time whether the account exists or not, and the answer is "wrong" either way.
 */
const DUMMY_HASH = '$2b$12$c0beo04kc4q37VMK9jh3K.CghFMnE0/2NT/sFChZTqyA3pxj5xOt2';

/** Lower-case letters, digits, `.`, `_` and `-`: what an agent types to sign in ("maja", "maja.berg"). Never ':'. */
export const agentIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'an id is 1–64 lower-case letters (a–z), digits, ".", "_" or "-", starting with a letter or digit');
export const displayNameSchema = z
  .string()
  .trim()
  .min(1, 'a display name is needed')
  .max(80, 'a display name is at most 80 characters')
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'a display name has no control characters');

/** An Entra object ID (a GUID), kept in lower case as Teams sends it. */
export const entraObjectIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'an Entra object ID is a GUID, like 00000000-0000-0000-0000-000000000000');

/** Agents signed in with Entra ID or another OpenID provider are `entra-…` / `oidc-…`: no local account may pass for one. */
export const RESERVED_ID_PREFIXES = ['entra-', 'oidc-'] as const;
export const localAgentIdSchema = agentIdSchema.refine((id) => !RESERVED_ID_PREFIXES.some((prefix) => id.startsWith(prefix)), 'ids starting with "entra-" or "oidc-" are kept for agents who sign in with Entra ID');

export const agentAccountSchema = z.looseObject({
  id: localAgentIdSchema,
  displayName: displayNameSchema,
  /** Absent for an agent known only in Teams (by entraObjectId), who signs in to the console with Entra ID if at all. */
  passwordHash: z.string().regex(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/, 'a bcrypt hash').optional(),
  createdAt: z.iso.datetime({ offset: true }),
  /**
   * The agent's Microsoft Entra object ID: in Teams (where each message names its sender's object ID) the bot knows
   * them as an agent, who may verify a caller on the phone in their own chat with it.
   */
  entraObjectId: entraObjectIdSchema.optional(),
});

export const agentsFileSchema = z
  .looseObject({ agents: z.array(agentAccountSchema) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    const objectIds = new Set<string>();
    file.agents.forEach((agent, index) => {
      if (seen.has(agent.id)) ctx.addIssue({ code: 'custom', path: ['agents', index, 'id'], message: `"${agent.id}" is listed twice` });
      seen.add(agent.id);
      if (!agent.passwordHash && !agent.entraObjectId) ctx.addIssue({ code: 'custom', path: ['agents', index], message: 'an agent needs a passwordHash, an entraObjectId, or both' });
      if (agent.entraObjectId && objectIds.has(agent.entraObjectId)) ctx.addIssue({ code: 'custom', path: ['agents', index, 'entraObjectId'], message: `${agent.entraObjectId} is listed twice` });
      if (agent.entraObjectId) objectIds.add(agent.entraObjectId);
    });
  });

export type AgentAccount = z.infer<typeof agentAccountSchema>;
export type AgentsFile = z.infer<typeof agentsFileSchema>;

export class AgentsFileError extends Error {
  override name = 'AgentsFileError';
}

/** What an agent types, as it is kept: trimmed and lower-case ("Maja " → "maja"). */
export function normaliseAgentId(id: string): string {
  return id.normalize('NFC').trim().toLowerCase();
}

/** The file's accounts; a missing file is no accounts, a broken one an AgentsFileError (naming what is wrong, no hashes). */
export function readAgentsFile(path: string): AgentsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { agents: [] };
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentsFileError(`${path} is not valid JSON`);
  }
  const parsed = agentsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new AgentsFileError(`${path} is not a valid agents file: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}

export interface VerifiedAgent {
  agent: AgentIdentity;
  /** A fingerprint of the password hash: sessions carry it, and end when the password changes. */
  credential: string;
}

export interface AgentAccounts {
  readonly file: string;
  /** The agent when the password is theirs; undefined otherwise, after the same amount of work either way. */
  verifyPassword(id: string, password: string): Promise<VerifiedAgent | undefined>;
  /** The account as the file says now (read again when it has changed). */
  find(id: string): AgentAccount | undefined;
  /** Whether this account still exists with this credential (see VerifiedAgent.credential). */
  stillValid(id: string, credential: string): boolean;
  /** The agent with this Entra object ID (a Teams user), if any. */
  byEntraObjectId(objectId: string): AgentIdentity | undefined;
}

export function createAgentAccounts(options: { file?: string; logger: Logger }): AgentAccounts {
  const file = options.file ?? DEFAULT_ACCOUNTS_FILE;
  const { logger } = options;
  let signature: string | undefined;
  let accounts = new Map<string, AgentAccount>();
  let warnedMode = false;

  /** The accounts as on disk: a cheap stat per call, a read only when the file has changed (or appeared, or gone). */
  function current(): Map<string, AgentAccount> {
    let stats: Stats | undefined;
    try {
      stats = statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.error('agent-accounts.unreadable', { file, error: error as Error });
    }
    // A rename (how agent:add writes) gives a new inode; size and ctime catch an edit in place within one mtime tick.
    const next = stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}` : 'missing';
    if (next === signature) return accounts;
    signature = next;
    if (!stats) {
      accounts = new Map();
      logger.warn('agent-accounts.missing', { file, hint: 'add an agent with: npm run agent:add -- --id <id> --name "<name>"' });
      return accounts;
    }
    if ((stats.mode & 0o077) !== 0 && !warnedMode && process.platform !== 'win32') {
      warnedMode = true;
      logger.warn('agent-accounts.file-readable-by-others', { file, mode: (stats.mode & 0o777).toString(8), hint: 'chmod 600' });
    }
    try {
      accounts = new Map(readAgentsFile(file).agents.map((agent) => [agent.id, agent]));
      logger.info('agent-accounts.loaded', { file, agents: accounts.size });
    } catch (error) {
      // Fail closed: a broken file signs nobody in (keeping the old accounts would keep a removed one alive).
      accounts = new Map();
      logger.error('agent-accounts.invalid', { file, error: error as Error });
    }
    return accounts;
  }

  const find = (id: string) => current().get(normaliseAgentId(id));

  return {
    file,
    find,
    async verifyPassword(id, password) {
      const account = typeof id === 'string' ? find(id) : undefined;
      const usable = typeof password === 'string' && password.length > 0 && password.length <= MAX_PASSWORD_INPUT;
      let matches = false;
      try {
        matches = await bcrypt.compare(usable ? password : 'x', account?.passwordHash ?? DUMMY_HASH);
      } catch (error) {
        logger.error('agent-accounts.compare-failed', { error: error as Error });
      }
      if (!matches || !usable || !account?.passwordHash) return undefined;
      return { agent: { id: account.id, displayName: account.displayName }, credential: credentialFingerprint(account.passwordHash) };
    },
    stillValid(id, credential) {
      const account = find(id);
      return account?.passwordHash !== undefined && credentialFingerprint(account.passwordHash) === credential;
    },
    byEntraObjectId(objectId) {
      const wanted = objectId.trim().toLowerCase();
      const account = [...current().values()].find((agent) => agent.entraObjectId !== undefined && agent.entraObjectId === wanted);
      return account && { id: account.id, displayName: account.displayName };
    },
  };
}

/** A bcrypt hash of a new password, at the console's cost. */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

/** Why a new password is refused, or undefined when it will do. The words are for the person running agent:add. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `the password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `the password must be at most ${MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)`;
  if (password.trim() !== password) return 'the password must not start or end with a space';
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'the password must not contain control characters';
  return undefined;
}
