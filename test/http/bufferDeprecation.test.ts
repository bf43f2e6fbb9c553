import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BUILT = join(__dirname, '..', '..', 'dist', 'src', 'http', 'bufferDeprecation.js');

/** Node gives the warning only once per process, and the test runner's process has given it already: a fresh one. */
function bufferWarningsIn(script: string): { given: number; silenced: boolean } {
  const probe = `
    const given = [];
    const emit = process.emitWarning;
    process.emitWarning = (...args) => { if (args.includes('DEP0005')) given.push(1); return emit.apply(process, args); };
    ${script}
    console.log(JSON.stringify({ given: given.length, silenced: Boolean(process.noDeprecation) }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
}

describe('skipBufferDeprecationCheck (the built module, run by npm test after the build)', () => {
  it("gives Node's Buffer() warning once, unheard, so later calls (restify's) are not checked; the setting is put back", () => {
    const call = 'Buffer(0); Buffer(0);';
    // Without it, a call from outside node_modules is checked and warned about.
    expect(bufferWarningsIn(call)).toEqual({ given: 1, silenced: false });
    const skipped = bufferWarningsIn(`require(${JSON.stringify(BUILT)}).skipBufferDeprecationCheck(); const before = given.length; ${call} if (given.length !== before) throw new Error('warned again');`);
    expect(skipped).toEqual({ given: 1, silenced: false });
  });
});
