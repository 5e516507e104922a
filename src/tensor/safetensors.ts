/**
 * The safetensors format: 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian bytes. The cache stores
 * artifacts in it and MLX loads it directly, so one encoding serves both.
 */
import { BYTES_PER, emptyTypedArray, type DType, type Tensor } from './tensor.js';

const DTYPES = new Set<DType>(['F32', 'F64', 'I32', 'I16', 'U8']);

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header so the data starts 8-byte aligned (lets readers view it without copying).
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name];
    const src = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    src.copy(out, pos);
    pos += src.length;
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export function decodeSafetensors(buf: Uint8Array): DecodedSafetensors {
  if (buf.length < 8) throw new Error('safetensors: truncated (no header length)');
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw new Error('safetensors: truncated header');
  const header = JSON.parse(view.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, any>;
  const base = 8 + headerLen;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry;
      continue;
    }
    const dtype = entry.dtype as DType;
    if (!DTYPES.has(dtype)) throw new Error(`safetensors: tensor "${name}" has unsupported dtype ${dtype}`);
    const [from, to] = entry.data_offsets as [number, number];
    const shape = entry.shape as number[];
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (to - from !== count * BYTES_PER[dtype] || base + to > buf.length) {
      throw new Error(`safetensors: tensor "${name}" byte range does not match its shape`);
    }
    // Copy into a fresh, aligned typed array so the result never aliases the source buffer.
    const data = emptyTypedArray(dtype, count);
    new Uint8Array(data.buffer).set(view.subarray(base + from, base + to));
    tensors[name] = { dtype, shape, data };
  }
  return { tensors, metadata };
}
