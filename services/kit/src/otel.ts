// Loaded by createTracer only when OTEL_TRACES_EXPORTER=otlp: nothing else imports the SDK.
import { ROOT_CONTEXT, type Context, SpanKind as OtelSpanKind, SpanStatusCode, TraceFlags, trace, type Span as OtelSpan } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Span, SpanContext, SpanKind, Tracer, TracingSettings } from './tracing.js';

const KINDS: Record<SpanKind, OtelSpanKind> = { server: OtelSpanKind.SERVER, client: OtelSpanKind.CLIENT };

class RecordedSpan implements Span {
  readonly context: SpanContext;

  constructor(readonly span: OtelSpan) {
    const { traceId, spanId, traceFlags } = span.spanContext();
    this.context = { traceId, spanId, sampled: (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED };
  }

  updateName(name: string): void {
    this.span.updateName(name);
  }

  setAttributes(attributes: Record<string, string | number | boolean>): void {
    this.span.setAttributes(attributes);
  }

  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  end(): void {
    this.span.end();
  }
}

function parentContext(parent: Span | SpanContext | undefined): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  if (parent instanceof RecordedSpan) return trace.setSpan(ROOT_CONTEXT, parent.span);
  const { traceId, spanId, sampled } = 'context' in parent ? parent.context : parent;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });
}

/** The SDK's default sampler (parent-based, always on) and batching, exporting OTLP over HTTP (protobuf). */
export function otlpTracer(settings: TracingSettings): Tracer {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.endpoint.href }) })],
  });
  const tracer = provider.getTracer('@task-manager/kit');
  return {
    recording: true,
    start(name, kind, parent, attributes) {
      return new RecordedSpan(tracer.startSpan(name, { kind: KINDS[kind], attributes }, parentContext(parent)));
    },
    shutdown: () => provider.shutdown(),
  };
}
