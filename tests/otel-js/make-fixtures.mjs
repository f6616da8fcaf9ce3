// make-fixtures.mjs: writes svcmap's OTLP fixtures with the OpenTelemetry JS SDK itself.
//
// Usage: node make-fixtures.mjs OUTDIR
//
// A small shop (frontend -> checkout -> payment, checkout -> postgresql, checkout ->
// kafka -> shipping, one external call, one failing payment) is traced with the SDK's
// own tracer, span processor and exporter, then written by the SDK's own OTLP
// serializers (@opentelemetry/otlp-transformer): the same spans as
//   shop.pb          one ExportTraceServiceRequest (what Tempo answers, an OTLP body)
//   shop.json        the same request as OTLP JSON
//   shop.jsonl       one OTLP JSON request per trace, one per line (file exporter, json)
//   shop.framed.pb   one request per trace, each preceded by its length in 4 bytes,
//                    big-endian (the Collector file exporter's `format: proto`)
//   shop-mixed.framed.pb  the frames of shop.framed.pb with a logs request before the
//                    first, a metrics request after the third and another logs request
//                    at the end (one file exporter serving the traces, logs and
//                    metrics pipelines), written by the SDK's logs and metrics
//                    serializers from records of its own LoggerProvider and MeterProvider
// With the `zstd` command on PATH it also writes, compressing with that command:
//   shop.pb.zst              shop.pb as one zstd stream
//   shop.framed-zstd.pb      as shop.framed.pb, each message a zstd frame (the file
//                            exporter's `format: proto` with `compression: zstd`)
// Ids and times are fixed, so every run writes the same bytes with the same packages.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node make-fixtures.mjs OUTDIR');
  process.exit(2);
}

// Ids from counters, not random: the fixtures must be the same on every run.
let traceCounter = 0;
let spanCounter = 0;
const idGenerator = {
  generateTraceId: () => (0x5b8e0000 + ++traceCounter).toString(16).padStart(32, 'a'),
  generateSpanId: () => (0x1000 + ++spanCounter).toString(16).padStart(16, '0'),
};

const exporter = new InMemorySpanExporter();
const providers = new Map();
function tracer(service, extra = {}) {
  if (!providers.has(service)) {
    providers.set(
      service,
      new BasicTracerProvider({
        resource: resourceFromAttributes({
          'service.name': service,
          'service.namespace': 'shop',
          'service.version': '1.4.0',
          ...extra,
        }),
        idGenerator,
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }),
    );
  }
  return providers.get(service).getTracer('svcmap-fixtures', '1.0.0');
}

const BASE_S = 1764500000; // 2025-11-30T10:53:20Z
// [seconds, nanoseconds] at ms milliseconds after the trace's base time.
const at = (base, ms) => {
  const ns = Math.round(ms * 1e6);
  return [base + Math.floor(ns / 1e9), ns % 1e9];
};

function start(service, name, kind, parent, base, ms, attributes = {}, links = []) {
  const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  return tracer(service).startSpan(name, { kind, attributes, startTime: at(base, ms), links }, ctx);
}

// One checkout request. fail: the payment service answers 503.
function checkout(n, fail) {
  const base = BASE_S + 10 * n;
  const d = 1 + n * 0.37; // every trace a little slower

  const entry = start('frontend', 'GET /checkout', SpanKind.SERVER, null, base, 0, {
    'http.request.method': 'GET',
    'http.route': '/checkout',
    'http.response.status_code': fail ? 502 : 200,
  });
  const call = start('frontend', 'POST', SpanKind.CLIENT, entry, base, 2 * d, {
    'http.request.method': 'POST',
    'server.address': 'checkout',
    'server.port': 8080,
    'http.response.status_code': fail ? 502 : 200,
  });
  const serve = start('checkout', 'POST /orders', SpanKind.SERVER, call, base, 3 * d, {
    'http.request.method': 'POST',
    'http.route': '/orders',
    'http.response.status_code': fail ? 502 : 200,
  });
  const local = start('checkout', 'validate cart', SpanKind.INTERNAL, serve, base, 3.5 * d, {
    'cart.items': 3 + n,
    'cart.total': 19.99 * (n + 1),
    'cart.gift': n % 2 === 0,
    'cart.skus': ['a-1', 'b-2'],
  });
  local.end(at(base, 4 * d));

  const db = start('checkout', 'SELECT orders', SpanKind.CLIENT, serve, base, 5 * d, {
    'db.system.name': 'postgresql',
    'db.namespace': 'orders',
    'db.query.text': 'SELECT * FROM orders WHERE id = $1',
    'server.address': 'pg-1.internal',
    'server.port': 5432,
  });
  db.end(at(base, 9 * d));

  const pay = start('checkout', 'POST', SpanKind.CLIENT, serve, base, 10 * d, {
    'http.request.method': 'POST',
    'server.address': 'payment',
    'server.port': 8443,
    'http.response.status_code': fail ? 503 : 200,
  });
  const payServe = start('payment', 'POST /charge', SpanKind.SERVER, pay, base, 11 * d, {
    'http.request.method': 'POST',
    'http.route': '/charge',
    'http.response.status_code': fail ? 503 : 200,
  });
  const card = start('payment', 'POST', SpanKind.CLIENT, payServe, base, 12 * d, {
    'http.request.method': 'POST',
    'server.address': 'api.cards.example',
    'server.port': 443,
    'http.response.status_code': 200,
  });
  card.end(at(base, 20 * d));
  if (fail) {
    payServe.addEvent('exception', { 'exception.type': 'Timeout' }, at(base, 21 * d));
    payServe.setStatus({ code: SpanStatusCode.ERROR, message: 'card processor timed out' });
    pay.setStatus({ code: SpanStatusCode.ERROR });
  }
  payServe.end(at(base, 22 * d));
  pay.end(at(base, 23 * d));

  let send = null;
  if (!fail) {
    send = start('checkout', 'orders publish', SpanKind.PRODUCER, serve, base, 24 * d, {
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'send',
    });
    send.end(at(base, 25 * d));
  }
  serve.end(at(base, 26 * d));
  call.end(at(base, 27 * d));
  entry.end(at(base, 28 * d));

  if (send) {
    const receive = start(
      'shipping',
      'orders process',
      SpanKind.CONSUMER,
      send,
      base,
      40 * d,
      {
        'messaging.system': 'kafka',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'process',
      },
      [{ context: send.spanContext(), attributes: { 'link.reason': 'batch' } }],
    );
    receive.end(at(base, 55 * d));
  }
}

const traces = [];
for (let n = 0; n < 6; n++) {
  exporter.reset();
  checkout(n, n === 4);
  traces.push(exporter.getFinishedSpans().slice());
}
const all = traces.flat();

mkdirSync(outDir, { recursive: true });
const write = (name, bytes) => writeFileSync(join(outDir, name), bytes);
const framed = (messages) => {
  const parts = [];
  for (const m of messages) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(m.length, 0);
    parts.push(len, Buffer.from(m));
  }
  return Buffer.concat(parts);
};

const pb = ProtobufTraceSerializer.serializeRequest(all);
write('shop.pb', pb);
write('shop.json', JsonTraceSerializer.serializeRequest(all));
write(
  'shop.jsonl',
  traces.map((t) => Buffer.from(JsonTraceSerializer.serializeRequest(t)).toString() + '\n').join(''),
);
const perTrace = traces.map((t) => ProtobufTraceSerializer.serializeRequest(t));
write('shop.framed.pb', framed(perTrace));

// The other signals of the same shop, from the SDK's own logs and metrics providers.
// Log records carry their times; metric points get fixed times after collection (the
// SDK stamps them with the clock), so that the bytes are the same on every run.
const checkoutResource = resourceFromAttributes({
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.version': '1.4.0',
});
const logExporter = new InMemoryLogRecordExporter();
const loggerProvider = new LoggerProvider({
  resource: checkoutResource,
  processors: [new SimpleLogRecordProcessor(logExporter)],
});
const logger = loggerProvider.getLogger('svcmap-fixtures', '1.0.0');
const logsRequest = (n) => {
  logExporter.reset();
  logger.emit({
    timestamp: at(BASE_S + 10 * n, 6),
    observedTimestamp: at(BASE_S + 10 * n, 7),
    severityNumber: 9,
    severityText: 'INFO',
    body: `order ${n} placed`,
    attributes: { 'order.id': 1000 + n },
  });
  return ProtobufLogsSerializer.serializeRequest(logExporter.getFinishedLogRecords());
};
const metricReader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 3600 * 1000,
});
const meterProvider = new MeterProvider({ resource: checkoutResource, readers: [metricReader] });
const meter = meterProvider.getMeter('svcmap-fixtures', '1.0.0');
// the gauge first: a Metric of name, unit and gauge fits a Span's wire types (see
// read_otlp_proto.c), so the first record of the message is the hard one to tell apart
meter.createGauge('cart.items', { unit: '1' }).record(3);
meter
  .createCounter('orders', { description: 'orders placed', unit: '1' })
  .add(6, { 'payment.method': 'card' });
meter.createHistogram('checkout.duration', { unit: 'ms' }).record(12.5);
const { resourceMetrics } = await metricReader.collect();
for (const scope of resourceMetrics.scopeMetrics) {
  for (const metric of scope.metrics) {
    for (const point of metric.dataPoints) {
      point.startTime = [BASE_S, 0];
      point.endTime = [BASE_S + 60, 0];
    }
  }
}
const metricsRequest = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
write(
  'shop-mixed.framed.pb',
  framed([logsRequest(0), ...perTrace.slice(0, 3), metricsRequest, ...perTrace.slice(3), logsRequest(5)]),
);
await meterProvider.shutdown();
await loggerProvider.shutdown();

let zstd = true;
try {
  execFileSync('zstd', ['--version'], { stdio: 'ignore' });
} catch {
  zstd = false;
  console.error('make-fixtures: no zstd command; the .zst fixtures are not written');
}
if (zstd) {
  const compress = (bytes) => execFileSync('zstd', ['-q', '-19', '-c'], { input: bytes });
  write('shop.pb.zst', compress(pb));
  write('shop.framed-zstd.pb', framed(perTrace.map(compress)));
}
