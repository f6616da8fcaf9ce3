// A small shop of four services that call each other over HTTP, each a Node process
// instrumented with the real OpenTelemetry JS SDK. Run under `svcmap record`, it exports
// to the endpoint in OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL
// (http/protobuf or http/json). With SPANS_FILE set, every process also appends what it
// exports to that file as OTLP JSON lines, written by the SDK's own serializer, so that
// `svcmap map SPANS_FILE` can be held against the map `record` made. Exits with
// APP_EXIT (default 0); APP_ROOT_KIND=server: see below.
'use strict';
const role = process.argv[2] || 'frontend';

const fs = require('fs');
const { SpanKind } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');

const protocol = process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
const { OTLPTraceExporter } =
  protocol === 'http/json'
    ? require('@opentelemetry/exporter-trace-otlp-http')
    : require('@opentelemetry/exporter-trace-otlp-proto');

// Appends each export as one OTLP JSON line (the SDK's serializer, not svcmap's).
class FileExporter {
  constructor(path) { this.path = path; }
  export(spans, done) {
    fs.appendFileSync(this.path, Buffer.from(JsonTraceSerializer.serializeRequest(spans)).toString() + '\n');
    done({ code: 0 });
  }
  shutdown() { return Promise.resolve(); }
  forceFlush() { return Promise.resolve(); }
}

const processors = [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 200 })];
if (process.env.SPANS_FILE)
  processors.push(new SimpleSpanProcessor(new FileExporter(process.env.SPANS_FILE)));
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': role, 'service.namespace': 'shop' }),
  spanProcessors: processors,
});
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });

const http = require('http');
const { fork } = require('child_process');

function get(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

// A service: answers its routes, may call others first; tells the parent its port.
function serve(handler) {
  const server = http.createServer(async (req, res) => {
    try {
      const { status, body } = await handler(req);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', async (m) => {
    if (m.stop) {
      server.close();
      await provider.shutdown();
      process.exit(0);
    }
  });
}

function start(name, env) {
  return new Promise((resolve) => {
    const child = fork(__filename, [name], { env: { ...process.env, ...env } });
    child.once('message', (m) => resolve({ child, port: m.port }));
  });
}

async function main() {
  if (role === 'inventory') {
    let n = 0;
    return serve(async () => ({ status: 200, body: String(++n % 7) }));
  }
  if (role === 'pricing') {
    let n = 0;
    // every fifth price lookup fails: the api -> pricing edge carries errors
    return serve(async () => (++n % 5 === 0 ? { status: 503, body: 'busy' } : { status: 200, body: '9.99' }));
  }
  if (role === 'api') {
    const inventory = Number(process.env.INVENTORY_PORT);
    const pricing = Number(process.env.PRICING_PORT);
    return serve(async () => {
      const stock = await get(inventory, '/stock');
      const price = await get(pricing, '/price');
      return { status: price.status === 200 ? 200 : 502, body: stock.body + ' ' + price.body };
    });
  }
  // frontend: starts the others, sends its requests, stops everything
  const inventory = await start('inventory', {});
  const pricing = await start('pricing', {});
  const api = await start('api', { INVENTORY_PORT: inventory.port, PRICING_PORT: pricing.port });
  const requests = Number(process.env.APP_REQUESTS || 20);
  const tracer = provider.getTracer('shop-frontend');
  // APP_ROOT_KIND=server makes each checkout's root span a SERVER span: an entry point
  // of the critical-path walk (`svcmap why`); by default it is INTERNAL
  const kind = process.env.APP_ROOT_KIND === 'server' ? SpanKind.SERVER : SpanKind.INTERNAL;
  for (let i = 0; i < requests; i++) {
    await tracer.startActiveSpan('checkout', { kind }, async (span) => {
      await get(api.port, '/checkout');
      span.end();
    });
  }
  for (const s of [api, pricing, inventory]) {
    const gone = new Promise((resolve) => s.child.once('exit', resolve));
    s.child.send({ stop: true });
    await gone;
  }
  await provider.shutdown();
  process.exitCode = Number(process.env.APP_EXIT || 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(99);
});
