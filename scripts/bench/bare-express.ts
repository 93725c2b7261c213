/**
 * The HTTP bench's baseline: a bare Express 5 app answering `GET /api/users/:id` with the
 * same JSON the service sends (read from `BARE_BODY_FILE`), from a `Map`. No middleware,
 * no metrics, no cache layer: the floor the service's hot path is measured against.
 */
import { readFileSync } from 'node:fs';
import express from 'express';

const port = Number(process.env.PORT ?? '0');
const bodyFile = process.env.BARE_BODY_FILE;
if (!bodyFile) throw new Error('BARE_BODY_FILE: path of the JSON body to answer with');
const users = new Map<number, unknown>([[1, JSON.parse(readFileSync(bodyFile, 'utf8'))]]);

const app = express();
app.disable('x-powered-by');
app.get('/api/users/:id', (req, res) => {
  const user = users.get(Number(req.params.id));
  if (user === undefined) {
    res.status(404).json({ error: 'not found' });
    return;
  }
  res.json(user);
});
const server = app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${JSON.stringify(server.address())}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
