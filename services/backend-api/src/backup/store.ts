/**
 * Where backup files go: a directory (the chart's PVC) or an S3-compatible bucket. The S3 client
 * is the few calls backups need (PUT, GET, DELETE, ListObjectsV2) signed with AWS Signature V4,
 * path-style, over node's http(s): no SDK to carry in the backend image for four requests.
 */
import { createHash, createHmac } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { TargetSettings } from './settings.js';

export interface Store {
  /** Where it is, for messages: a path or s3://bucket/prefix. */
  readonly where: string;
  /** The names of every file kept (without the prefix). */
  list(): Promise<string[]>;
  /** A local path to write `name` to before `put` (beside the target for a directory, so `put` is a rename). */
  staging(name: string): Promise<string>;
  /** Stores the staged file as `name` (sha256: its digest, hex). */
  put(name: string, staged: string, sha256: string): Promise<void>;
  putText(name: string, text: string): Promise<void>;
  getText(name: string): Promise<string>;
  /** A local copy of `name` to read, and how to let it go. */
  fetch(name: string): Promise<{ path: string; release(): Promise<void> }>;
  remove(name: string): Promise<void>;
}

export function openStore(target: TargetSettings): Store {
  return target.kind === 'directory' ? new DirectoryStore(target.directory) : new S3Store(target);
}

export class NotFound extends Error {}

class DirectoryStore implements Store {
  constructor(private readonly directory: string) {}

  get where() {
    return this.directory;
  }

  async list() {
    const names = await readdir(this.directory).catch((error: { code?: string }) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return names.filter((name) => !name.startsWith('.'));
  }

  async staging(name: string) {
    await mkdir(this.directory, { recursive: true });
    return join(this.directory, `.${name}.partial`);
  }

  async put(name: string, staged: string) {
    await rename(staged, join(this.directory, name));
  }

  async putText(name: string, text: string) {
    const staged = await this.staging(name);
    await writeFile(staged, text);
    await this.put(name, staged);
  }

  async getText(name: string) {
    return readFile(join(this.directory, name), 'utf8').catch((error: { code?: string }) => {
      if (error.code === 'ENOENT') throw new NotFound(`${name} is not in ${this.directory}`);
      throw error;
    });
  }

  async fetch(name: string) {
    return { path: join(this.directory, name), release: async () => {} };
  }

  async remove(name: string) {
    await rm(join(this.directory, name), { force: true });
  }
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as Signature V4 wants it. */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const xmlText = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp);/g, (_m, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[entity]!);

class S3Store implements Store {
  constructor(private readonly s3: Extract<TargetSettings, { kind: 's3' }>) {}

  get where() {
    return `s3://${this.s3.bucket}/${this.s3.prefix}`;
  }

  /** One signed request; resolves with the response once its status is 2xx, else rejects with S3's error code and message. */
  private async send(
    method: string,
    key: string | undefined,
    options: { query?: Record<string, string>; body?: { file: string; sha256: string } | string } = {},
  ): Promise<IncomingMessage> {
    const base = this.s3.endpoint.pathname.replace(/\/$/, '');
    const path = `${base}/${encode(this.s3.bucket)}${key === undefined ? '' : `/${key.split('/').map(encode).join('/')}`}`;
    const query = Object.entries(options.query ?? {})
      .map(([k, v]) => `${encode(k)}=${encode(v)}`)
      .sort()
      .join('&');
    const body = options.body;
    const payloadHash = body === undefined ? EMPTY_SHA256 : typeof body === 'string' ? sha256(body) : body.sha256;
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = now.slice(0, 8);
    const headers: Record<string, string> = { host: this.s3.endpoint.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': now };
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    else if (body) headers['content-length'] = String((await stat(body.file)).size);
    const names = Object.keys(headers).sort();
    const canonical = [method, path, query, ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), payloadHash].join('\n');
    const scope = `${day}/${this.s3.region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
    let signingKey = hmac(`AWS4${this.s3.secretAccessKey}`, day);
    for (const part of [this.s3.region, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.s3.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${hmac(signingKey, toSign).toString('hex')}`;

    const request = (this.s3.endpoint.protocol === 'https:' ? httpsRequest : httpRequest)({
      method,
      host: this.s3.endpoint.hostname,
      port: this.s3.endpoint.port || undefined,
      path: query ? `${path}?${query}` : path,
      headers,
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      request.on('response', resolve);
      request.on('error', reject);
    });
    if (typeof body === 'string') request.end(body);
    else if (body) {
      // Not pipeline(): a server may answer and close the connection as the last bytes go out,
      // which pipeline reports as a premature close; the answer is what tells success.
      const file = createReadStream(body.file);
      file.on('error', (error) => request.destroy(error));
      file.pipe(request);
    } else request.end();
    const reply = await response;
    const status = reply.statusCode ?? 0;
    if (status >= 200 && status < 300) return reply;
    let text = '';
    for await (const chunk of reply) text += chunk;
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    const what = `S3 ${method} s3://${this.s3.bucket}/${key ?? this.s3.prefix}`;
    if (status === 404 && method === 'GET' && key !== undefined) throw new NotFound(`${what}: not found`);
    throw new Error(`${what} failed: HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${xmlText(message)}` : ''}`);
  }

  private async text(reply: IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of reply) text += chunk;
    return text;
  }

  async list() {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix: this.s3.prefix };
      if (token) query['continuation-token'] = token;
      const xml = await this.text(await this.send('GET', undefined, { query }));
      for (const match of xml.matchAll(/<Contents>[\s\S]*?<Key>([^<]*)<\/Key>[\s\S]*?<\/Contents>/g)) {
        const key = xmlText(match[1]!);
        const name = key.slice(this.s3.prefix.length);
        if (!name.includes('/')) names.push(name);
      }
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]*)</.exec(xml)?.[1] : undefined;
      if (token) token = xmlText(token);
    } while (token);
    return names;
  }

  async staging(name: string) {
    return join(await mkdtemp(join(tmpdir(), 'backup-')), name);
  }

  async put(name: string, staged: string, digest: string) {
    try {
      (await this.send('PUT', this.s3.prefix + name, { body: { file: staged, sha256: digest } })).resume();
    } finally {
      await rm(join(staged, '..'), { recursive: true, force: true });
    }
  }

  async putText(name: string, text: string) {
    (await this.send('PUT', this.s3.prefix + name, { body: text })).resume();
  }

  async getText(name: string) {
    return this.text(await this.send('GET', this.s3.prefix + name));
  }

  async fetch(name: string) {
    const dir = await mkdtemp(join(tmpdir(), 'restore-'));
    const release = () => rm(dir, { recursive: true, force: true });
    try {
      const path = join(dir, name);
      await pipeline(await this.send('GET', this.s3.prefix + name), createWriteStream(path));
      return { path, release };
    } catch (error) {
      await release();
      throw error;
    }
  }

  async remove(name: string) {
    (await this.send('DELETE', this.s3.prefix + name)).resume();
  }
}
