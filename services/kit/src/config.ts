/**
 * Reads the environment once at start. Every problem is collected, so an operator who
 * got three settings wrong learns about all three from one failed start, each on its own
 * line naming the variable.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env = process.env) {}

  /** The raw value, with empty strings treated as unset (a blank Helm value should mean "default"). */
  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string, fallback?: string): string {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) {
      this.problems.push(`${name} is required but not set`);
      return '';
    }
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  /** A secret: required, and at least `minLength` characters so a placeholder cannot slip through. */
  secret(name: string, minLength: number): string {
    const value = this.raw(name);
    if (value === undefined) {
      this.problems.push(`${name} is required but not set`);
      return '';
    }
    if (value.length < minLength) {
      this.problems.push(`${name} must be at least ${minLength} characters long`);
    }
    return value;
  }

  integer(name: string, fallback: number, range: { min: number; max: number }): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name} must be a whole number, got "${value}"`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < range.min || parsed > range.max) {
      this.problems.push(`${name} must be between ${range.min} and ${range.max}, got ${parsed}`);
      return fallback;
    }
    return parsed;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 1, max: 65535 });
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return value as T;
  }

  url(name: string, protocols: readonly string[], fallback?: string): URL {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) {
      this.problems.push(`${name} is required but not set`);
      return new URL('http://invalid.invalid');
    }
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
        this.problems.push(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
      return parsed;
    } catch {
      // Never echo the value: a DATABASE_URL carries a password.
      this.problems.push(`${name} is not a valid URL`);
      return new URL('http://invalid.invalid');
    }
  }

  /** Records a problem found by cross-checking several settings. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError naming every bad setting; call after reading everything. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Runs a service's config loader and, on a bad environment, prints one line per problem
 * to stderr and exits 1 — no stack trace, since there is no bug to debug.
 */
export function loadConfigOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${service}: configuration error: ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }
}
