import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Request, Response, Server } from 'restify';
import { LOCALES_DIR, readLocaleResources } from '../../i18n';

/** public/ sits beside locales/ at the project root, from src/ (tests) and from dist/src/ (npm start) alike. */
export const PUBLIC_DIR = resolve(LOCALES_DIR, '../public');

/** The stock Web Chat bundle, from npm (no CDN): served under its version so browsers may keep it for good. */
const WEBCHAT_DIST = join(dirname(require.resolve('botframework-webchat')), '../dist/webchat.js');
const WEBCHAT_VERSION = (JSON.parse(readFileSync(join(dirname(require.resolve('botframework-webchat')), '../package.json'), 'utf8')) as { version: string }).version;
export const WEBCHAT_PATH = `/webchat/${WEBCHAT_VERSION}/webchat.js`;
const JAVASCRIPT = 'application/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

export interface Asset {
  /** The file as served: read, compressed and hashed on first use (see asset). */
  content(): { body: Buffer; gzipped: Buffer; etag: string };
  type: string;
  cacheControl: string;
}

/**
 * A file to serve. Given as a function, it is read, compressed and hashed when first asked for, not at start-up:
 * the Web Chat bundle alone is megabytes, and compressing it took a tenth of a second of every start.
 */
export function asset(body: Buffer | (() => Buffer), type: string, cacheControl: string): Asset {
  let made: { body: Buffer; gzipped: Buffer; etag: string } | undefined;
  const prepare = (bytes: Buffer) => ({ body: bytes, gzipped: gzipSync(bytes), etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` });
  if (Buffer.isBuffer(body)) made = prepare(body);
  return { content: () => (made ??= prepare((body as () => Buffer)())), type, cacheControl };
}

/**
 * The widget script: public/widget.js with what it needs filled in — its words in both languages (from locales/, like
 * everything the bot says) and where Web Chat is. Built once at start-up.
 */
function buildWidgetScript(): Buffer {
  const resources = readLocaleResources();
  const config = { strings: { sv: resources.sv.widget, en: resources.en.widget }, webChatPath: WEBCHAT_PATH };
  const template = readFileSync(join(PUBLIC_DIR, 'widget.js'), 'utf8');
  if (!template.includes('/*__WIDGET_CONFIG__*/null')) throw new Error('public/widget.js has lost its configuration placeholder');
  // JSON in a script: "</script>" and U+2028/9 cannot break out of it.
  const json = JSON.stringify(config).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return Buffer.from(template.replace('/*__WIDGET_CONFIG__*/null', () => json));
}

/** `/widget.js` (the embeddable widget), the Web Chat bundle it loads, and when asked `/` (the demo help page). */
export function registerWidgetRoutes(server: Server, options: { demoPage: boolean }): void {
  // The widget script may change with a deployment: browsers check again after five minutes.
  const widget = asset(buildWidgetScript(), JAVASCRIPT, 'public, max-age=300');
  const webChat = asset(() => readFileSync(WEBCHAT_DIST), JAVASCRIPT, 'public, max-age=31536000, immutable');
  const demoPage = asset(readFileSync(join(PUBLIC_DIR, 'index.html')), HTML, 'no-cache');

  server.get('/widget.js', serve(widget));
  server.get(WEBCHAT_PATH, serve(webChat));
  if (options.demoPage) server.get('/', serve(demoPage, { frameAncestors: true }));
}

export function serve(file: Asset, options: { frameAncestors?: boolean } = {}) {
  return async (req: Request, res: Response) => {
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', file.cacheControl);
    const { body: plain, gzipped, etag } = file.content();
    res.setHeader('ETag', etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Vary', 'Accept-Encoding');
    // Scripts are embedded by other sites on purpose; the demo page itself is not to be framed by them.
    if (options.frameAncestors) res.setHeader('Content-Security-Policy', "frame-ancestors 'self'");
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? gzipped : plain;
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', body.length);
    res.writeHead(200);
    res.end(body);
  };
}
