// The reference of `npm run bench:serve`: a bare node:http JSON server doing what any JSON API
// must (read the body, parse it, answer a JSON object of about the size of a classify answer)
// and nothing else: no framework, validation, model, logging, metrics or stores. Same node
// flags as the served CLI; run in its own process. Usage: node bare-server.mjs PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let text = '';
    try {
      text = String(JSON.parse(Buffer.concat(chunks).toString('utf8')).text ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    const body = JSON.stringify({
      id: '00000000-0000-4000-8000-000000000000',
      intent: 'card_arrival',
      confidence: 0.99,
      local: { intent: 'card_arrival', confidence: 0.99 },
      route: 'accepted',
      reason: 'confident',
      outOfScope: false,
      alternatives: [{ intent: 'card_arrival', score: 0.99 }, { intent: 'card_delivery_estimate', score: 0.005 }, { intent: 'lost_or_stolen_card', score: 0.002 }],
      neighbours: [],
      model: { name: 'bare', version: String(text.length) },
      variant: 'champion',
      cached: false,
      timings: { modelMs: 0, llmMs: 0, totalMs: 0 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
