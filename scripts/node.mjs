/**
 * The project's Node.js (the version in .node-version, which the images run too), for `npm start`
 * and the bench: whatever node the user's shell has, the services they start run on this one.
 * tests/tools/node-install puts it in the cache (TASK_MANAGER_CACHE), the first time in about
 * ten seconds, through the npm registry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const INSTALLER = fileURLToPath(new URL('../tests/tools/node-install', import.meta.url));
const VERSION = `v${readFileSync(new URL('../.node-version', import.meta.url), 'utf8').trim()}`;

/** The path of the project's node binary, installed first if the cache lacks it. */
export function projectNode() {
  try {
    const out = execFileSync('bash', [INSTALLER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return path.join(/^NODE_BIN=(.*)$/m.exec(out)[1], 'node');
  } catch {
    console.error(`Node.js ${VERSION}, which the services run on, could not be installed: run \`bash tests/tools/node-install\` and see what it says.`);
    process.exit(1);
  }
}

/**
 * Runs the calling script (process.argv) again on the project's node, unless it already runs on
 * it: then it returns at once. Otherwise it never returns, and exits as that run exits.
 */
export async function onProjectNode() {
  if (process.version === VERSION) return;
  const node = projectNode();
  console.error(`(${path.basename(process.argv[1])}: running on the project's Node.js ${VERSION}, ${node}, not this shell's ${process.version})`);
  const child = spawn(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  // Ctrl-C reaches both processes (one process group): the child stops itself and this one waits
  // for it. A SIGTERM sent to this process alone is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise((resolve) => child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
  process.exit(code);
}
