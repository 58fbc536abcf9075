/**
 * The bench measures the node the images run: both start a service through services/start,
 * which reads the service's node-flags. Here a stand-in dist/main.js, next to a service's real
 * node-flags, reports how it was started.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICES, startService } from '../lib.mjs';

const STAND_IN = `
import http from 'node:http';
const server = http.createServer((request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS }));
}).listen(Number(process.env.PORT), '127.0.0.1');
// Exit 0 only through this handler: killed by the signal itself, node would report no exit code.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const dirs = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A directory laid out like the service's in its image: its node-flags and a stand-in dist/main.js. */
function standIn(service) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `start-${service}-`));
  dirs.push(dir);
  cpSync(fileURLToPath(new URL(`${service}/node-flags`, SERVICES)), path.join(dir, 'node-flags'));
  mkdirSync(path.join(dir, 'dist'));
  writeFileSync(path.join(dir, 'dist/main.js'), STAND_IN);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }');
  return pathToFileURL(`${dir}/`);
}

/** The file's two settings, read as the sh that sources it reads them. */
function flagsOf(service) {
  const script = '. ./node-flags && printf "%s\\n%s" "${NODE_OPTIONS_DEFAULT-}" "${NODE_ARGS-}"';
  const [options, args] = execFileSync('/bin/sh', ['-c', script], { cwd: new URL(`${service}/`, SERVICES), encoding: 'utf8' }).split('\n');
  return { options, args: args.split(/\s+/).filter(Boolean) };
}

const dockerfile = readFileSync(new URL('Dockerfile', SERVICES), 'utf8');

describe.each(['backend-api', 'frontend'])('the %s', (service) => {
  it('ships its node-flags in its image, holding only the two settings services/start reads', () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: new URL(`${service}/`, SERVICES), encoding: 'utf8' }));
    expect(packed[0].files.map((file) => file.path)).toContain('node-flags');
    // services/start sources the file: only comments and the two assignments belong in it.
    const lines = readFileSync(new URL(`${service}/node-flags`, SERVICES), 'utf8').split('\n');
    expect(lines.filter((line) => line.trim() && !line.startsWith('#') && !/^(NODE_OPTIONS_DEFAULT|NODE_ARGS)='[^']*'$/.test(line))).toEqual([]);
  });

  it('runs as node with its flags, in the process that was started, and drains on SIGTERM', async () => {
    const expected = flagsOf(service);
    const started = await startService(standIn(service), {});
    const seen = await (await fetch(`${started.url}/`)).json();
    expect(seen.execArgv).toEqual(expected.args);
    expect(seen.nodeOptions).toBe(expected.options);
    // exec: node is the process the container starts (PID 1 there), so SIGTERM reaches it.
    expect(seen.pid).toBe(started.pid);
    expect(await started.stop()).toBe(0);
  });
});

it('lets NODE_OPTIONS in the environment replace the file\'s default, as an image ENV would be', async () => {
  const started = await startService(standIn('frontend'), { NODE_OPTIONS: '--max-old-space-size=256' });
  const seen = await (await fetch(`${started.url}/`)).json();
  expect(seen.nodeOptions).toBe('--max-old-space-size=256');
  expect(seen.execArgv).toEqual(flagsOf('frontend').args);
  await started.stop();
});

it('is how services/Dockerfile starts every service: CMD runs services/start in the service directory', () => {
  expect(dockerfile).toMatch(/^CMD \["\/bin\/sh", "\/app\/services\/start"\]$/m);
  expect(dockerfile).toMatch(/^WORKDIR \/app\/services\/\$\{SERVICE\}$/m);
  expect(dockerfile).toMatch(/cp services\/start \/out\/services\//);
});
