import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, EnvReader, Metrics, activeSpan, createLogger, createServiceApp, formatTraceparent, parseTraceparent, readTracingSettings } from '../src/index.js';

describe('W3C traceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('reads the trace id, the parent span id and the sampled flag, and writes them back alike', () => {
    expect(parseTraceparent(valid)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true });
    expect(parseTraceparent(valid.replace(/01$/, '00'))?.sampled).toBe(false);
    expect(formatTraceparent(parseTraceparent(valid)!)).toBe(valid);
    // A later version may add fields: its first four are still read.
    expect(parseTraceparent(`01-${valid.slice(3)}-more`)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('starts a new trace rather than continue a malformed or invalid one', () => {
    for (const header of [
      undefined,
      '',
      'garbage',
      valid.toUpperCase(),
      `${valid}-extra`,
      valid.replace(/^00/, 'ff'),
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    ]) {
      expect(parseTraceparent(header), String(header)).toBeUndefined();
    }
  });
});

describe('tracing settings', () => {
  const read = (env: Record<string, string>) => {
    const reader = new EnvReader(env);
    const settings = readTracingSettings(reader, 'svc');
    reader.finish();
    return settings;
  };

  it('exports nothing unless asked, and sends OTLP to the endpoint the standard variables name', () => {
    expect(read({}).exporter).toBe('none');
    expect(read({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      exporter: 'otlp',
      endpoint: new URL('http://collector:4318/v1/traces'),
      serviceName: 'svc',
    });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces', OTEL_SERVICE_NAME: 'tm' })).toMatchObject({
      endpoint: new URL('https://b/traces'),
      serviceName: 'tm',
    });
  });

  it('names each bad setting, including a protocol it cannot speak', () => {
    expect(() => read({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    try {
      read({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'OTEL_TRACES_EXPORTER must be one of none, otlp, got "jaeger"',
        'OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, got "grpc"',
      ]);
    }
  });
});

describe('a request with tracing off', () => {
  const servers: Array<{ close(): void }> = [];
  afterEach(() => servers.splice(0).forEach((server) => server.close()));

  async function serve() {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const app = createServiceApp({ logger: createLogger('kit-test', 'info', sink), metrics: new Metrics('kit-test') });
    // A body parser in between, as the services have: the handler after it still runs in the request's span.
    app.post('/echo', express.urlencoded({ extended: false }), async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      req.log.info('handled');
      res.json({ span: activeSpan()?.context, own: req.span.context });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    servers.push(server);
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
  }

  const post = (base: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'a=1' });

  it('continues the caller’s trace, names its own span in traceresponse, and stamps every log line with the trace id', async () => {
    const { base, lines } = await serve();
    const answer = await post(base, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const { span, own } = (await answer.json()) as { span: { traceId: string; spanId: string }; own: { traceId: string; spanId: string } };
    expect(span).toEqual(own);
    expect(own.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(own.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(own.spanId).not.toBe('00f067aa0ba902b7');
    expect(answer.headers.get('traceresponse')).toBe(`00-${own.traceId}-${own.spanId}-01`);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map((line) => [line.msg, line.traceId, line.spanId])).toEqual([
      ['handled', own.traceId, own.spanId],
      ['request', own.traceId, own.spanId],
    ]);
  });

  it('starts a trace, unsampled since nothing records it, when the caller sends none', async () => {
    const { base } = await serve();
    const [first, second] = await Promise.all([post(base), post(base)]);
    const [a, b] = [first!.headers.get('traceresponse'), second!.headers.get('traceresponse')];
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(a!.slice(3, 35)).not.toBe(b!.slice(3, 35));
  });
});
