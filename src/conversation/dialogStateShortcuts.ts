import { DialogStateManager } from './sdkDialogs';

/** The DialogStateManager methods changed here (trackChange is private in the SDK's typings). */
interface StateManagerInternals {
  parsePath(pathExpression: string, allowNestedPaths?: boolean): (string | number)[];
  trackPaths(paths: string[]): string[];
  trackChange(path: string): void;
  shortcutsApplied?: true;
}

/** Paths are few (turn.activity, turn.lastresult, dialog._tracker.paths …); the bound only guards against surprises. */
const MAX_REMEMBERED_PATHS = 1000;

/**
 * Two shortcuts in the SDK's DialogStateManager, which every DialogContext makes (a few per waterfall step) and whose
 * constructor sets `turn.activity` — ten such writes a turn, about 10 µs each, most of it bookkeeping that does nothing:
 *
 * - **Change tracking only once somebody tracks.** Each write looks up `dialog._tracker.paths` to bump the counters of
 *   paths registered with `trackPaths` (adaptive dialogs' `anyPathChanged`). This bot registers none, so the lookup
 *   always finds nothing; the writes skip it until the first `trackPaths` of the process, and behave as the SDK's after.
 * - **Paths parsed once.** `parsePath` reads a path character by character, some thirty times a turn for four different
 *   paths. A path without brackets parses the same every time (brackets may hold a nested path read from memory: those
 *   are parsed afresh), so its segments are remembered and each caller gets its own copy (deleteValue changes it).
 *
 * Returns whether it applied them: an SDK whose DialogStateManager no longer has these methods is left as it is.
 */
export function applyDialogStateShortcuts(): boolean {
  const prototype = DialogStateManager.prototype as unknown as StateManagerInternals;
  if (prototype.shortcutsApplied) return true;
  const { parsePath, trackPaths, trackChange } = prototype;
  if (typeof parsePath !== 'function' || typeof trackPaths !== 'function' || typeof trackChange !== 'function') return false;

  let pathsTracked = false;
  prototype.trackPaths = function (this: StateManagerInternals, paths) {
    pathsTracked = true;
    return trackPaths.call(this, paths);
  };
  prototype.trackChange = function (this: StateManagerInternals, path) {
    if (pathsTracked) trackChange.call(this, path);
  };

  const parsed = new Map<string, (string | number)[]>();
  prototype.parsePath = function (this: StateManagerInternals, pathExpression, allowNestedPaths = true) {
    if (pathExpression.includes('[')) return parsePath.call(this, pathExpression, allowNestedPaths);
    let segments = parsed.get(pathExpression);
    if (!segments) {
      // Without brackets, allowNestedPaths changes nothing; a path that does not parse throws here, every time.
      segments = parsePath.call(this, pathExpression, allowNestedPaths);
      if (parsed.size < MAX_REMEMBERED_PATHS) parsed.set(pathExpression, segments);
    }
    return segments.slice();
  };
  Object.defineProperty(prototype, 'shortcutsApplied', { value: true });
  return true;
}
