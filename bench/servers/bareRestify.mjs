// The limit of issue 14: restify answering /api/messages with nothing behind it (no SDK, no state, no reply POST).
import restify from 'restify';

const server = restify.createServer();
server.use(restify.plugins.bodyParser());
server.post('/api/messages', async (req, res) => res.send(200, { id: req.body?.id ?? 'ok' }));
server.get('/healthz', async (_req, res) => res.send(200, { ok: true }));
server.listen(Number(process.env.PORT ?? 3980), '127.0.0.1');
