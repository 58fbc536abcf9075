import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RequestHandler } from 'express';

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/**
 * The files under public/, served at content-hashed URLs (`/static/styles.3f9a1c2e.css`) so
 * browsers may cache them for a year: a changed file gets a new URL. They are small, so
 * they are read and gzipped once at start.
 */
export class Assets {
  private constructor(
    private readonly byUrl: Map<string, Asset>,
    private readonly urls: Map<string, string>,
  ) {}

  static async load(publicDir: string): Promise<Assets> {
    const byUrl = new Map<string, Asset>();
    const urls = new Map<string, string>();
    const entries = await readdir(publicDir, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const name = path.relative(publicDir, file).split(path.sep).join('/');
      const body = await readFile(file);
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      const ext = path.extname(name);
      const url = `/static/${name.slice(0, -ext.length || undefined)}.${hash}${ext}`;
      urls.set(name, url);
      byUrl.set(url, { body, gzipped: gzipSync(body), type: TYPES[ext] ?? 'application/octet-stream', etag: `"${hash}"` });
    }
    return new Assets(byUrl, urls);
  }

  /** The hashed URL of a file under public/; a missing file is a bug in a template, so it throws. */
  url(name: string): string {
    const url = this.urls.get(name);
    if (!url) throw new Error(`no asset named ${name} under public/ (did the build copy it?)`);
    return url;
  }

  handler(): RequestHandler {
    return (req, res, next) => {
      const asset = this.byUrl.get(req.path);
      if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
      res.locals.route = '/static';
      res.set({
        'Content-Type': asset.type,
        'Cache-Control': 'public, max-age=31536000, immutable',
        ETag: asset.etag,
        Vary: 'Accept-Encoding',
      });
      if (req.get('if-none-match') === asset.etag) {
        res.status(304).end();
        return;
      }
      const gzip = /\bgzip\b/.test(req.get('accept-encoding') ?? '');
      if (gzip) res.set('Content-Encoding', 'gzip');
      res.send(gzip ? asset.gzipped : asset.body);
    };
  }
}
