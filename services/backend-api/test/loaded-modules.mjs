// Prints, as JSON, every module file that importing the given built module loads: the ES modules
// (seen by a resolve hook, registered before the import) and the CommonJS ones (require's cache).
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const esm = new Set();
port1.on('message', (url) => esm.add(url));
port1.unref();
const hook = `let port; export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) { const resolved = await next(specifier, context); port.postMessage(resolved.url); return resolved; }`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { port: port2 }, transferList: [port2] });
await import(new URL(process.argv[2], `file://${process.cwd()}/`).href);
// The hook's messages arrive on this thread's event loop: let them in before reading the set.
await new Promise((resolve) => setImmediate(resolve));
const cjs = Object.keys(createRequire(import.meta.url).cache).map((file) => `file://${file}`);
console.log(JSON.stringify([...new Set([...esm, ...cjs])].filter((url) => url.startsWith('file:'))));
