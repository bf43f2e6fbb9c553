import { maskPersonalData } from './privacy/mask';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * One JSON line per event. Events are stable dotted names (`turn.error`), details go in fields, and every string in
 * the fields is masked for personal data first: logs are read by more people than the customer ever meets.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (event: string, fields: LogFields = {}) => {
    if (RANK[lineLevel] < RANK[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, event, ...maskFields(fields) }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');

function maskFields(value: unknown, depth = 0): any {
  if (typeof value === 'string') return maskPersonalData(value);
  if (value instanceof Error) return { name: value.name, message: maskPersonalData(value.message), stack: value.stack && maskPersonalData(value.stack) };
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskFields(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskFields(item, depth + 1)]));
}
