import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UiClient, startFrontend, startStack, type Stack } from './support.js';

/**
 * Between a second frontend and the backend, a proxy that cuts the connection of the first
 * POST /api/tasks as the backend's answer starts to arrive: the task was created, and the answer
 * is lost, as when a connection drops during a failover.
 */
let stack: Stack;
let proxy: net.Server;
let frontend: Awaited<ReturnType<typeof startFrontend>>;
let cut = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  stack = await startStack();
  const backend = new URL(stack.backend.url);
  proxy = net.createServer((client) => {
    const upstream = net.connect(Number(backend.port), backend.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let cutOnAnswer = false;
    client.on('data', (chunk: Buffer) => {
      if (cut === 0 && chunk.toString('latin1').startsWith('POST /api/tasks ')) cutOnAnswer = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnAnswer && cut === 0) {
        cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  frontend = await startFrontend(`http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`);
});
afterAll(async () => {
  await frontend?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy?.close(resolve));
  await stack?.close();
});

it('sends a create with its form key again when the answer was lost, and the task exists once', async () => {
  const ui = new UiClient(frontend.url);
  const page = await ui.open();
  const key = /name="_key" value="([^"]+)"/.exec(page)![1]!;
  const created = await ui.post('/tasks', { _csrf: ui.csrf, _key: key, title: 'Answer lost once' });
  expect(cut).toBe(1);
  expect(created.status).toBe(303);
  const list = (await (await stack.fetch(`${stack.url}/api/tasks?q=${encodeURIComponent('Answer lost once')}`)).json()) as { items: unknown[] };
  expect(list.items).toHaveLength(1);
});
