/**
 * Reads a text file (or a gzip of one) line by line from a stream, a chunk at a time, so memory
 * stays bounded whatever the file's size (a whole-file string stops at 512 MB in V8). Every
 * error names the file; an abort signal stops the read at the next chunk.
 */
import { createReadStream } from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { DataError } from '../provider.js';

/** Bytes per read: big enough for throughput, small enough that an abort is seen within milliseconds. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** A "line" longer than this is not a CSV row: stop instead of buffering the whole file. */
export const MAX_LINE_CHARS = 1 << 20;

export interface LineReaderOptions {
  /** Bytes per read (and per gunzip output chunk, at least 64); tests force tiny ones. */
  chunkBytes?: number;
  signal?: AbortSignal;
  /** Called after each chunk is handled, with the bytes read from disk so far. */
  onChunk?: (bytesRead: number) => void;
}

/**
 * Calls `onLine(text, lineNo, terminated)` for every line: `\n` and a trailing `\r` removed,
 * 1-based numbers, a UTF-8 BOM dropped. `terminated` is false only for a last line without a
 * newline (a cut-off download looks like that). `onLine` may throw to stop the read.
 */
export async function readLines(
  file: string,
  onLine: (text: string, lineNo: number, terminated: boolean) => void,
  opts: LineReaderOptions = {},
): Promise<void> {
  const { signal } = opts;
  throwIfAborted(signal, file);
  const chunkBytes = Math.max(1, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const raw = createReadStream(file, { highWaterMark: chunkBytes });
  if (signal) addAbortSignal(signal, raw);
  let readError: Error | undefined;
  let source: Readable = raw;
  if (file.toLowerCase().endsWith('.gz')) {
    const gunzip = createGunzip({ chunkSize: Math.max(64, chunkBytes) });
    // pipe() does not forward errors: a failed read must fail the gunzip stream we iterate.
    raw.on('error', (e) => {
      readError = e;
      gunzip.destroy(e);
    });
    source = raw.pipe(gunzip);
  } else raw.on('error', (e) => (readError = e));

  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  let first = true;
  const split = (text: string) => {
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = text.length === 0;
    }
    text = rest + text;
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      onLine(text.slice(start, end), ++lineNo, true);
      start = nl + 1;
    }
    rest = start === 0 ? text : text.slice(start);
    if (rest.length > MAX_LINE_CHARS) {
      throw new DataError(`${file}:${lineNo + 1}: a line longer than ${MAX_LINE_CHARS} characters; this is not a CSV of bars (or its newlines are not \\n / \\r\\n)`, 'check the file; a CSV has one bar per line');
    }
  };
  try {
    for await (const chunk of source) {
      throwIfAborted(signal, file);
      split(decoder.write(chunk as Buffer));
      opts.onChunk?.(raw.bytesRead);
    }
    throwIfAborted(signal, file);
    split(decoder.end());
    if (rest !== '') onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++lineNo, false);
  } catch (e) {
    if (signal?.aborted) throw abortErrorFor(file, signal);
    if (e instanceof DataError) throw e;
    if (readError && e === readError) throw new DataError(`${file}: cannot read (${(e as Error).message})`, 'check that the file exists and is readable');
    if (source !== raw) {
      throw new DataError(`${file}: truncated or corrupt gzip (${(e as Error).message}); the download may be incomplete`, 're-download the file (gzip -t checks it)');
    }
    throw new DataError(`${file}: cannot read (${(e as Error).message})`, 'check that the file exists and is readable');
  } finally {
    raw.destroy();
    source.destroy();
  }
}

/** An AbortError that names the file being read (isAbortError() recognises it). */
export function abortErrorFor(file: string, signal: AbortSignal): Error {
  const e = new Error(`interrupted while reading ${file}`, { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

export function throwIfAborted(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw abortErrorFor(file, signal);
}
