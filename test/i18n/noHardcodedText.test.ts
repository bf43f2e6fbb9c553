import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');

/** Files that build what the caller sees: every dialog, the bot glue and the terminal chat. */
const SCANNED = ['dialogs', 'src/bot', 'src/chat'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Calls whose string arguments are not shown to callers: log events, thrown errors, imports, Symbol names. */
const EXEMPT_CALLS = /^(?:(?:[\w.]*\.)?(?:debug|info|warn|error)|Error|TypeError|RangeError|Symbol|require)$/;
/** `namespace:path.to.key`, possibly built from a template (`verify:ask.${item}`). */
const LOCALE_KEY = /^[a-z]\w*:[\w.-]*(?:\$\{\}[\w.-]*)*$/i;
const SENDERS = /(?:sendActivity|sendActivities|text|suggestedActions|attachment|carousel|heroCard|prompt|write)$/;

interface Finding {
  file: string;
  line: number;
  text: string;
}

export function findUserFacingLiterals(file: string, source: string): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  const calleeOf = (node: ts.Node): string | undefined => {
    for (let parent = node.parent; parent; parent = parent.parent) {
      if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) return parent.expression.getText(sf);
      if (ts.isBlock(parent) || ts.isSourceFile(parent)) return undefined;
    }
    return undefined;
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) {
      const text = ts.isTemplateExpression(node)
        ? [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join('${}')
        : node.text;
      const callee = calleeOf(node) ?? '';
      const looksLikeProse = /\p{L}{2,}[,.!?:;]*\s+\p{L}{2,}/u.test(text.replaceAll('${}', ' ')) || /[^\x00-\x7F]/.test(text);
      const handedToCaller = SENDERS.test(callee) && /\p{L}{2,}/u.test(text) && !LOCALE_KEY.test(text);
      if ((looksLikeProse || handedToCaller) && !EXEMPT_CALLS.test(callee)) {
        findings.push({ file: relative(ROOT, file), line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, text });
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

describe('no hard-coded user-facing text', () => {
  const scanned = SCANNED.flatMap((dir) => files(join(ROOT, dir)));

  it('scans the dialog and bot sources', () => {
    expect(scanned.length).toBeGreaterThan(5);
  });

  it.each(scanned.map((file) => [relative(ROOT, file), file]))('%s has none', (_name, file) => {
    expect(findUserFacingLiterals(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('catches prose, Swedish words and text handed to sendActivity', () => {
    const sample = [
      "await context.sendActivity('Hello there');",
      "await context.sendActivity('Hej');",
      "const reply = `Välkommen ${name}`;",
      "MessageFactory.text('Thanks');",
      "const question = 'What would you like to do?';",
    ].join('\n');
    expect(findUserFacingLiterals('sample.ts', sample).map((f) => f.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves keys, identifiers and log events alone', () => {
    const sample = [
      "t('main:greeting');",
      "logger.error('turn.error', { reason: 'state reset failed' });",
      "throw new Error('turn language not set: the bot sets it');",
      "const DIALOG = 'mainDialog';",
      "context.turnState.get('dialogState');",
    ].join('\n');
    expect(findUserFacingLiterals('sample.ts', sample)).toEqual([]);
  });
});
