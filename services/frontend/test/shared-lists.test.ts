import { afterAll, beforeAll, expect, it } from 'vitest';
import { SlowLink, UiClient, createTasks, startStack, type Stack } from './support.js';

/**
 * The frontend reaches the real backend over a slow link: every list answer is held back for
 * LIST_DELAY_MS after the backend sent it. A list call is then always in flight, having read
 * the database before whatever the test changes next, which is exactly the call a page asked
 * for after that change must not be answered from.
 */
const LIST_DELAY_MS = 100;

let slowLink: SlowLink;
let stack: Stack;
beforeAll(async () => {
  slowLink = await SlowLink.start((req) => (req.method === 'GET' && req.url?.startsWith('/api/tasks?') ? LIST_DELAY_MS : 0));
  stack = await startStack({ backendUrl: slowLink.url });
  slowLink.target = stack.backend.url;
});
afterAll(async () => {
  await stack?.close();
  await slowLink?.close();
});

const listCalls = async () => {
  const metrics = await stack.metrics.registry.metrics();
  return [...metrics.matchAll(/backend_request_duration_seconds_count\{[^}]*route="\/api\/tasks"[^}]*\} (\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
};

it('shares list calls between pages asked for together, yet every page shows each change made before it', async () => {
  const [task] = await createTasks(stack, [{ title: 'Burstlist 0' }]);
  const ui = new UiClient(stack.url);
  const callsBefore = await listCalls();
  let pages = 0;
  let loading = true;
  const background = Array.from({ length: 6 }, async () => {
    for (let i = 0; loading && i < 500; i++) {
      expect((await ui.get('/?q=burstlist')).status).toBe(200);
      pages++;
    }
  });
  for (let round = 1; round <= 10; round++) {
    const renamed = await stack.fetch(`${stack.backend.url}/api/tasks/${task!.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: `Burstlist ${round}` }),
    });
    expect(renamed.status).toBe(200);
    const checks = await Promise.all(Array.from({ length: 16 }, () => ui.get('/?q=burstlist')));
    pages += checks.length;
    for (const page of checks) expect(page.text, `round ${round}`).toContain(`>Burstlist ${round}</a>`);
  }
  loading = false;
  await Promise.all(background);
  // Without sharing, every page would have cost a call of its own.
  expect(await listCalls()).toBeLessThan(callsBefore + pages / 2);
});
