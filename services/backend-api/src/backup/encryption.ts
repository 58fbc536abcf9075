/**
 * Client-side encryption of backups: AES-256-GCM from node:crypto, streamed. A file is
 * MAGIC (4 bytes) | IV (12) | ciphertext | tag (16). The tag authenticates the whole file, so
 * a restore checks it in a first pass before pg_restore sees a byte (GCM only tells at the end).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';

export const CIPHER = 'aes-256-gcm';
const MAGIC = Buffer.from('TMB1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key from BACKUP_ENCRYPTION_KEY: 32 bytes as base64 or hex; undefined when it is neither. */
export function keyFromSetting(setting: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(setting)) return Buffer.from(setting, 'hex');
  const decoded = /^[A-Za-z0-9+/]{43}=?$/.test(setting) ? Buffer.from(setting, 'base64') : undefined;
  return decoded?.length === 32 ? decoded : undefined;
}

/** Names a key without revealing it: recorded in the manifest, so a restore with another key is told so up front. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('task-manager backup key id\0').update(key).digest('hex').slice(0, 16);
}

/** A Transform that turns pg_dump's output into the encrypted file. */
export function encrypting(key: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const head = started ? [] : [MAGIC, iv];
      started = true;
      done(null, Buffer.concat([...head, cipher.update(chunk)]));
    },
    flush(done) {
      const head = started ? [] : [MAGIC, iv];
      done(null, Buffer.concat([...head, cipher.final(), cipher.getAuthTag()]));
    },
  });
}

export class DecryptionError extends Error {}

/** The plaintext of an encrypted file, as a stream that errors (DecryptionError) when the tag does not match. */
export async function decrypting(file: string, key: Buffer): Promise<Readable> {
  const handle = await open(file, 'r');
  let size: number;
  const head = Buffer.alloc(MAGIC.length + IV_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    size = (await handle.stat()).size;
    if (size < head.length + TAG_BYTES) throw new DecryptionError('the file is too short to be an encrypted backup');
    await handle.read(head, 0, head.length, 0);
    await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    await handle.close();
  }
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptionError('the file is not an encrypted backup of this tool');
  const decipher = createDecipheriv(CIPHER, key, head.subarray(MAGIC.length));
  decipher.setAuthTag(tag);
  const plain = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, decipher.update(chunk));
    },
    flush(done) {
      try {
        done(null, decipher.final());
      } catch {
        done(new DecryptionError('it does not decrypt with BACKUP_ENCRYPTION_KEY: the file was altered, or the key is not the one it was made with'));
      }
    },
  });
  const body = createReadStream(file, { start: head.length, end: size - TAG_BYTES - 1 });
  body.on('error', (error) => plain.destroy(error));
  return body.pipe(plain);
}
