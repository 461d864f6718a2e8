/** A stand-in for an OpenTelemetry collector: OTLP/HTTP JSON on a loopback port (tests of traces). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
export interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
  events?: { name: string }[];
  status?: { code?: number };
}
export interface ExportedSpan extends OtlpSpan {
  resource: Record<string, unknown>;
  attrs: Record<string, unknown>;
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attrsOf = (list: OtlpAttribute[] | undefined): Record<string, unknown> => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

export interface Collector {
  url: string;
  spans: ExportedSpan[];
  /** Requests received, whatever they held. */
  requests: number;
  /** The headers of the last export. */
  headers: http.IncomingHttpHeaders;
  /** Protobuf exports, kept whole (not decoded: their strings can be looked for in the bytes). */
  protobuf: Buffer[];
  close(): Promise<void>;
}

/** A collector stand-in: takes OTLP/HTTP at /v1/traces, JSON (each span kept, decoded) or protobuf (kept as bytes). */
export async function startCollector(): Promise<Collector> {
  const state = { spans: [] as ExportedSpan[], requests: 0, headers: {} as http.IncomingHttpHeaders, protobuf: [] as Buffer[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      state.headers = req.headers;
      if (req.method === 'POST' && req.url === '/v1/traces' && req.headers['content-type'] === 'application/x-protobuf') {
        state.protobuf.push(Buffer.concat(chunks));
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        const resource = attrsOf(rs.resource.attributes);
        for (const ss of rs.scopeSpans) for (const s of ss.spans) state.spans.push({ ...s, resource, attrs: attrsOf(s.attributes) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: state.spans,
    protobuf: state.protobuf,
    get requests() {
      return state.requests;
    },
    get headers() {
      return state.headers;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
