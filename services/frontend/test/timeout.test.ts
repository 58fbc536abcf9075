import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UiClient, startStack, type Stack } from './support.js';

// A server that accepts connections and never answers: the backend hung mid-request.
let hung: net.Server;
let stack: Stack;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  hung = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const { port } = hung.address() as net.AddressInfo;
  stack = await startStack({ backendUrl: `http://127.0.0.1:${port}`, timeoutMs: 400 });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => hung.close(resolve));
  await stack?.close();
});

it('answers 503 within the timeout when the backend hangs, without retrying a timed-out read', async () => {
  // The hung backend cannot sign anyone in, so the browser brings a session from before it hung.
  const ui = new UiClient(stack.url);
  ui.assumeSession(stack.token);
  const started = Date.now();
  const page = await ui.get('/');
  const elapsed = Date.now() - started;
  expect(page.status).toBe(503);
  expect(page.text).toContain('The task service is unavailable');
  expect(elapsed).toBeGreaterThanOrEqual(400);
  expect(elapsed).toBeLessThan(1500);
});
