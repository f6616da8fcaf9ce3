// Load for the receiver: N concurrent exporters POST OTLP JSON to /v1/traces for a
// given time over keep-alive connections, as SDK exporters do. Each request holds whole
// traces (web -> api -> postgres, 3 spans each) so the map is known from the counts.
// No retries: every span is either answered 200 (accepted) or refused with a status
// the exporter saw. Prints one JSON summary: spans sent, accepted, refused (by status),
// requests, p50/p99 request latency in ms, and spans per second accepted.
// Usage: node load.js PORT EXPORTERS SECONDS [TRACES_PER_REQUEST]
'use strict';
const http = require('http');
const crypto = require('crypto');

const [port, exporters, seconds, perRequest] = [
  Number(process.argv[2]), Number(process.argv[3] || 4), Number(process.argv[4] || 20),
  Number(process.argv[5] || 100)];
const agent = new http.Agent({ keepAlive: true, maxSockets: exporters });

function hex(n) { return crypto.randomBytes(n).toString('hex'); }
function attr(k, v) { return { key: k, value: { stringValue: v } }; }

function body() {
  const web = [], api = [];
  const now = BigInt(Date.now()) * 1000000n;
  for (let i = 0; i < perRequest; i++) {
    const t = hex(16), c = hex(8), s = hex(8), d = hex(8);
    const at = (x) => String(now + BigInt(x) * 1000000n);
    web.push({ traceId: t, spanId: c, name: 'GET /api', kind: 3, startTimeUnixNano: at(0), endTimeUnixNano: at(9) });
    api.push({ traceId: t, spanId: s, parentSpanId: c, name: 'GET /api', kind: 2, startTimeUnixNano: at(1), endTimeUnixNano: at(8) });
    api.push({ traceId: t, spanId: d, parentSpanId: s, name: 'SELECT', kind: 3, startTimeUnixNano: at(2), endTimeUnixNano: at(6),
      attributes: [attr('db.system', 'postgresql'), attr('db.namespace', 'orders')] });
  }
  const res = (name, spans) => ({ resource: { attributes: [attr('service.name', name)] }, scopeSpans: [{ spans }] });
  return JSON.stringify({ resourceSpans: [res('web', web), res('api', api)] });
}

const stats = { sent: 0, accepted: 0, rejected_partial: 0, refused: {}, requests: 0, errors: 0 };
const latencies = [];
const until = Date.now() + seconds * 1000;

function post(data) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        resolve({ status: res.statusCode, text });
      });
    });
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(data);
  });
}

async function exporter() {
  while (Date.now() < until) {
    const data = body(), n = perRequest * 3;
    const { status, text } = await post(data);
    stats.requests++;
    stats.sent += n;
    if (status === 200) {
      const partial = text ? JSON.parse(text).partialSuccess : undefined;
      const rejected = partial ? Number(partial.rejectedSpans || 0) : 0;
      stats.accepted += n - rejected;
      stats.rejected_partial += rejected;
    } else {
      stats.refused[status] = (stats.refused[status] || 0) + n;
      if (status === 429 || status === 503) await new Promise((r) => setTimeout(r, 100));
    }
  }
}

(async () => {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: exporters }, exporter));
  const secs = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0;
  stats.p50_ms = Number(q(0.5).toFixed(2));
  stats.p99_ms = Number(q(0.99).toFixed(2));
  stats.seconds = Number(secs.toFixed(1));
  stats.spans_per_s = Math.round(stats.accepted / secs);
  agent.destroy();
  console.log(JSON.stringify(stats));
})();
