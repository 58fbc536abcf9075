import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';
import type { EnvReader } from './config.js';

/** A span's identity, as W3C Trace Context carries it between services. */
export interface SpanContext {
  traceId: string;
  spanId: string;
  /** The caller's (or our own) decision to record this trace: the `sampled` flag. */
  sampled: boolean;
}

export type SpanKind = 'server' | 'client';
export type SpanAttributes = Record<string, string | number | boolean>;

export interface Span {
  readonly context: SpanContext;
  /** The name is known only at the end for a server span: the route template that matched. */
  updateName(name: string): void;
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed (a 5xx, a query error, an unreachable backend). */
  fail(message: string): void;
  end(): void;
}

/**
 * Starts spans. With the exporter off (`OTEL_TRACES_EXPORTER=none`, the default) spans only carry
 * ids: the trace id still travels in `traceparent` and stamps every log line, and nothing is recorded.
 */
export interface Tracer {
  /** Whether spans are recorded and exported; callers skip spans that only a recording tracer would keep. */
  readonly recording: boolean;
  /** A span under `parent` (a span of this process, or a caller's from `traceparent`), or the root of a new trace. */
  start(name: string, kind: SpanKind, parent: Span | SpanContext | undefined, attributes?: SpanAttributes): Span;
  /** Sends what is still buffered; the last step of a graceful stop. */
  shutdown(): Promise<void>;
}

export interface TracingSettings {
  exporter: 'none' | 'otlp';
  /** Where OTLP/HTTP spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  endpoint: URL;
  serviceName: string;
}

export const TRACES_EXPORTERS = ['none', 'otlp'] as const;

/**
 * The OpenTelemetry SDK's standard variables, read with the rest of a service's environment. The
 * default exporter is `none` (the specification's is `otlp`): tracing is off until asked for.
 */
export function readTracingSettings(read: EnvReader, service: string): TracingSettings {
  const exporter = read.oneOf('OTEL_TRACES_EXPORTER', TRACES_EXPORTERS, 'none');
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
    read.oneOf(name, ['http/protobuf'] as const, 'http/protobuf');
  }
  const base = read.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http', 'https'], 'http://localhost:4318');
  const endpoint = read.has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
    ? read.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http', 'https'])
    : new URL(`${base.href.replace(/\/+$/, '')}/v1/traces`);
  return { exporter, endpoint, serviceName: read.string('OTEL_SERVICE_NAME', service) };
}

/** The SDK is loaded only when spans are exported: with tracing off it costs no memory and no start time. */
export async function createTracer(settings: TracingSettings): Promise<Tracer> {
  if (settings.exporter === 'none') return idOnlyTracer;
  const { otlpTracer } = await import('./otel.js');
  return otlpTracer(settings);
}

// Random bytes are drawn a pool at a time: one call per 4 KiB rather than two per request.
const pool = Buffer.alloc(4096);
let used = pool.length;
function hex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

class IdOnlySpan implements Span {
  constructor(readonly context: SpanContext) {}
  updateName(): void {}
  setAttributes(): void {}
  fail(): void {}
  end(): void {}
}

/** Ids without recording; what tests and a service with tracing off use. */
export const idOnlyTracer: Tracer = {
  recording: false,
  start(_name, _kind, parent) {
    const caller = parent && 'context' in parent ? parent.context : parent;
    return new IdOnlySpan({ traceId: caller?.traceId ?? hex(16), spanId: hex(8), sampled: caller?.sampled ?? false });
  },
  shutdown: async () => {},
};

// Version 00 as W3C Trace Context defines it; a later version may append fields, which we ignore.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZEROS = /^0+$/;

/** The caller's span from a `traceparent` header; undefined (a new trace) when absent or malformed. */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined) || ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent({ traceId, spanId, sampled }: SpanContext): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const current = new AsyncLocalStorage<Span>();

/** The span of the request being served, for the calls it makes (backend calls, SQL) to hang under. */
export function activeSpan(): Span | undefined {
  return current.getStore();
}

export function runInSpan<T>(span: Span, fn: () => T): T {
  return current.run(span, fn);
}
