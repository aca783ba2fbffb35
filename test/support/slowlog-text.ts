import { Readable } from 'node:stream';
import { type DigestOptions, SlowLogDigest } from '../../agent/slowlog/digest.js';
import type { ParserSpec } from '../../agent/slowlog/formats.js';
import { digestStream } from '../../agent/slowlog/read.js';

/** Digests a log given as text (or bytes), fed in chunks of `chunk` bytes to exercise line carry-over. */
export async function digestText(
  text: string | Buffer,
  spec: ParserSpec | null,
  options: DigestOptions = {},
  chunk = 7,
): Promise<SlowLogDigest> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  const digest = new SlowLogDigest(options);
  await digestStream(Readable.from(parts), spec, digest);
  return digest;
}
