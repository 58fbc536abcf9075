// Copies htmx from its npm package into public/vendor/, where the app serves it under a
// content-hashed URL: the page never depends on a CDN.
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const vendor = path.join(here, '..', 'public', 'vendor');
const htmx = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
await mkdir(vendor, { recursive: true });
await copyFile(htmx, path.join(vendor, 'htmx.min.js'));
