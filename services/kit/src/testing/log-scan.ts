import { createLogger, type Logger } from '../logger.js';

export interface LogFinding {
  /** Where the line was written: a logger or a process named by the test support. */
  source: string;
  /** What kind of secret it holds ("password", "token", ...): never the secret itself. */
  kind: string;
  /** The line, with every known secret in it masked. */
  line: string;
}

/**
 * Every log line a test file makes its services write, and every password and token the file
 * sends or receives, so that one check at the end proves no line holds any of them. The test
 * supports feed it; a setup file runs the check after each file.
 */
export class LogScan {
  private readonly secrets = new Map<string, string>();
  private readonly sources = new Map<string, () => string>();

  /** Shorter strings would match by chance: every password and token here is far longer. */
  static readonly MIN_SECRET_LENGTH = 8;

  remember(kind: string, secret: unknown): void {
    if (typeof secret === 'string' && secret.length >= LogScan.MIN_SECRET_LENGTH && /\S/.test(secret)) this.secrets.set(secret, kind);
  }

  /** The secrets in an environment a service is started with: keys, secrets, passwords, and the database URL's password. */
  rememberEnvironment(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) {
      if (/SECRET|PASSWORD|_KEY$/.test(name)) this.remember(name, value);
      if (name === 'DATABASE_URL' && value) this.remember('database password', decodeURIComponent(new URL(value).password));
    }
  }

  /** A source whose text is read at check time, e.g. a child process's collected output. */
  watch(name: string, text: () => string): void {
    this.sources.set(`${name} #${this.sources.size + 1}`, text);
  }

  /** A logger at debug level, so that every line a service can write is written, and scanned. */
  logger(service: string): Logger {
    const lines: string[] = [];
    this.watch(`logger ${service}`, () => lines.join(''));
    return createLogger(service, 'debug', {
      write: (line: string) => void lines.push(line),
    });
  }

  get secretCount(): number {
    return this.secrets.size;
  }

  /** Lines scanned so far, across every source. */
  lines(): number {
    return [...this.sources.values()].reduce((sum, text) => sum + text().split('\n').filter(Boolean).length, 0);
  }

  someLineIncludes(fragment: string): boolean {
    return [...this.sources.values()].some((text) => text().includes(fragment));
  }

  findings(): LogFinding[] {
    const found: LogFinding[] = [];
    for (const [source, text] of this.sources) {
      for (const line of text().split('\n')) {
        for (const [secret, kind] of this.secrets) {
          if (line.includes(secret)) found.push({ source, kind, line: this.mask(line) });
        }
      }
    }
    return found;
  }

  private mask(line: string): string {
    let masked = line;
    for (const [secret, kind] of this.secrets) masked = masked.split(secret).join(`[${kind}]`);
    return masked;
  }
}
