// A Bot Connector stand-in on loopback: takes the bots' replies (POST /v3/conversations/:id/activities[/:replyTo]) and
// counts them per conversation, so the driver can check that every turn really replied.
import { createServer } from 'node:http';

export async function startConnector() {
  const replies = new Map();
  let total = 0;
  const server = createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk) => (size += chunk.length));
    req.on('end', () => {
      const match = /^\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
      if (req.method === 'POST' && match) {
        const id = decodeURIComponent(match[1]);
        replies.set(id, (replies.get(id) ?? 0) + 1);
        total++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `r-${total}` }));
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    repliesTo: (conversationId) => replies.get(conversationId) ?? 0,
    get total() {
      return total;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
