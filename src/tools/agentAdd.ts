import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AgentsFileError,
  agentsFileSchema,
  displayNameSchema,
  entraObjectIdSchema,
  hashPassword,
  localAgentIdSchema,
  normaliseAgentId,
  passwordProblem,
  readAgentsFile,
  type AgentsFile,
} from '../console/auth/agentAccounts';
import { DEFAULT_ACCOUNTS_FILE } from '../console/auth/sessions';
import { loadDotEnv } from '../config';

/**
 * `npm run agent:add -- --id maja --name "Maja Berg"`: adds an agent account to the accounts file, or gives an existing
 * one a new name and password. The password comes from stdin: typed (not shown) when run in a terminal, else the first
 * line of what is piped in. The console picks the change up at the next sign-in, without a restart.
 */

export class AgentAddError extends Error {
  override name = 'AgentAddError';
}

export interface AddAgentInput {
  file: string;
  id: string;
  displayName: string;
  /**
   * Absent (`--no-password`): an agent known in Teams by their Entra object ID only, who signs in to the console with
   * Entra ID if at all; an existing password stays as it is.
   */
  password?: string;
  /** Their Microsoft Entra object ID, so the bot knows them in Teams ("verify a caller"). */
  entraObjectId?: string;
  now?: Date;
}

/** Adds or updates one account; the file is replaced atomically (temporary file, fsync, rename), readable by its owner only. */
export async function addAgent(input: AddAgentInput): Promise<{ created: boolean; file: string }> {
  const id = localAgentIdSchema.safeParse(normaliseAgentId(input.id));
  if (!id.success) throw new AgentAddError(`--id: ${id.error.issues[0]?.message}`);
  const displayName = displayNameSchema.safeParse(input.displayName);
  if (!displayName.success) throw new AgentAddError(`--name: ${displayName.error.issues[0]?.message}`);
  const problem = input.password === undefined ? (input.entraObjectId ? undefined : 'without a password, --entra-object-id is needed') : passwordProblem(input.password);
  if (problem) throw new AgentAddError(problem);
  const objectId = input.entraObjectId === undefined ? undefined : entraObjectIdSchema.safeParse(input.entraObjectId);
  if (objectId && !objectId.success) throw new AgentAddError(`--entra-object-id: ${objectId.error.issues[0]?.message}`);
  const teams = objectId?.success ? { entraObjectId: objectId.data } : {};

  // A broken file is not overwritten: it may hold accounts someone wants back.
  let existing: AgentsFile;
  try {
    existing = readAgentsFile(input.file);
  } catch (error) {
    throw new AgentAddError(error instanceof AgentsFileError ? `${error.message}; fix or move it first` : `cannot read ${input.file}: ${(error as Error).message}`);
  }
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  const at = existing.agents.findIndex((agent) => agent.id === id.data);
  const agents = [...existing.agents];
  const taken = objectId?.success && existing.agents.find((agent) => agent.entraObjectId === objectId.data && agent.id !== id.data);
  if (taken) throw new AgentAddError(`--entra-object-id: already given to ${taken.id}`);
  if (at >= 0) {
    // A new name and password; when it was first added stays.
    agents[at] = { ...agents[at], displayName: displayName.data, ...(passwordHash ? { passwordHash } : {}), ...teams };
  } else {
    agents.push({ id: id.data, displayName: displayName.data, ...(passwordHash ? { passwordHash } : {}), createdAt: (input.now ?? new Date()).toISOString(), ...teams });
  }
  const next = agentsFileSchema.parse({ ...existing, agents });
  writeFileAtomically(input.file, `${JSON.stringify(next, null, 2)}\n`);
  return { created: at < 0, file: input.file };
}

/** Readers see the old file or the new one, never half of one; the new one is mode 0600 from the start. */
export function writeFileAtomically(path: string, content: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
  // The rename itself survives a crash once the directory is on disk too (not possible on every platform).
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // best effort
  }
}

/** The password as piped in (its first line), or typed twice without echo in a terminal. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
  }
  const first = await promptHidden('Password (at least 12 characters): ');
  const second = await promptHidden('Same password again: ');
  if (first !== second) throw new AgentAddError('the two passwords differ');
  return first;
}

function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: string) => {
      for (const char of data) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003' || char === '\u0004') return done(new AgentAddError('cancelled'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ') typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

async function main(): Promise<void> {
  try {
    // npm runs scripts from the project root: AGENT_ACCOUNTS_FILE may be set in .env, as for the server.
    loadDotEnv();
    const { values } = parseArgs({ options: { id: { type: 'string' }, name: { type: 'string' }, file: { type: 'string' }, 'entra-object-id': { type: 'string' }, 'no-password': { type: 'boolean' } } });
    if (!values.id || !values.name) throw new AgentAddError('usage: npm run agent:add -- --id <id> --name "<display name>" [--entra-object-id <guid> [--no-password]] [--file <path>] (password on stdin)');
    const file = values.file ?? (process.env.AGENT_ACCOUNTS_FILE || DEFAULT_ACCOUNTS_FILE);
    const password = values['no-password'] ? undefined : await readPassword();
    const { created } = await addAgent({ file, id: values.id, displayName: values.name, password, entraObjectId: values['entra-object-id'] });
    console.log(`${created ? 'Added' : 'Updated'} agent ${normaliseAgentId(values.id)} in ${file}; it counts from the next sign-in.`);
  } catch (error) {
    console.error(`agent:add: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

// Run as a command (node dist/src/tools/agentAdd.js), not when a test imports it.
if (require.main === module) void main();
