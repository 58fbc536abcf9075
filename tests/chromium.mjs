// Debian's Chromium as every browser test drives it (the frontend's vitest suites and the e2e
// checks): headless, no sandbox (tests run as root), and nothing that calls out to the internet.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
