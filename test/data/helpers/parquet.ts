/**
 * A minimal Parquet writer for tests: one row group, one uncompressed PLAIN data page per
 * column, REQUIRED columns of INT64 (optionally TIMESTAMP_MILLIS), DOUBLE or UTF8 text. Enough to
 * check that the folder provider reads Parquet through hyparquet; not for production use.
 */

type Col =
  | { name: string; type: 'int64'; values: bigint[]; timestampMillis?: boolean }
  | { name: string; type: 'double'; values: number[] }
  | { name: string; type: 'string'; values: string[] };

class Compact {
  bytes: number[] = [];
  private last: number[] = [0];

  private varint(n: bigint): void {
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
  }
  private zigzag(n: bigint): void {
    this.varint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
  }
  private header(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(BigInt(id));
    }
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): this {
    this.header(id, 5);
    this.zigzag(BigInt(v));
    return this;
  }
  i64(id: number, v: number | bigint): this {
    this.header(id, 6);
    this.zigzag(BigInt(v));
    return this;
  }
  str(id: number, s: string): this {
    this.header(id, 8);
    const b = Buffer.from(s, 'utf8');
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
    return this;
  }
  bin(id: number, b: Buffer): this {
    this.header(id, 8);
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
    return this;
  }
  struct(id: number, body: (c: this) => void): this {
    this.header(id, 12);
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
    return this;
  }
  /** A list of structs (elemType 12), i32 (5) or strings (8). */
  list<T>(id: number, elemType: number, items: T[], write: (c: this, item: T) => void): this {
    this.header(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(BigInt(items.length));
    }
    for (const it of items) write(this, it);
    return this;
  }
  rawStructBody(body: (c: this) => void): void {
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
  }
  rawI32(v: number): void {
    this.zigzag(BigInt(v));
  }
  rawStr(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }
}

function plain(col: Col): Buffer {
  if (col.type === 'int64') {
    const b = Buffer.alloc(8 * col.values.length);
    col.values.forEach((v, i) => b.writeBigInt64LE(v, 8 * i));
    return b;
  }
  if (col.type === 'double') {
    const b = Buffer.alloc(8 * col.values.length);
    col.values.forEach((v, i) => b.writeDoubleLE(v, 8 * i));
    return b;
  }
  const parts = col.values.map((s) => {
    const sb = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(sb.length);
    return Buffer.concat([len, sb]);
  });
  return Buffer.concat(parts);
}

const TYPE = { int64: 2, double: 5, string: 6 } as const;

export function writeParquet(cols: Col[]): Buffer {
  const numRows = cols[0].values.length;
  const chunks: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const meta: { col: Col; offset: number; size: number }[] = [];
  for (const col of cols) {
    const data = plain(col);
    const ph = new Compact();
    ph.rawStructBody((c) => {
      c.i32(1, 0) // DATA_PAGE
        .i32(2, data.length)
        .i32(3, data.length)
        .struct(5, (d) => d.i32(1, numRows).i32(2, 0).i32(3, 3).i32(4, 3));
    });
    const header = Buffer.from(ph.bytes);
    meta.push({ col, offset, size: header.length + data.length });
    chunks.push(header, data);
    offset += header.length + data.length;
  }
  const fm = new Compact();
  fm.rawStructBody((c) => {
    c.i32(1, 1);
    c.list(2, 12, [null as Col | null, ...cols], (cc, col) => {
      cc.rawStructBody((s) => {
        if (col === null) {
          s.str(4, 'schema').i32(5, cols.length);
        } else {
          s.i32(1, TYPE[col.type]).i32(3, 0).str(4, col.name);
          if (col.type === 'string') s.i32(6, 0); // UTF8
          if (col.type === 'int64' && col.timestampMillis) s.i32(6, 9); // TIMESTAMP_MILLIS
        }
      });
    });
    c.i64(3, numRows);
    c.list(4, 12, [0], (cc) => {
      cc.rawStructBody((rg) => {
        rg.list(1, 12, meta, (lc, m) => {
          lc.rawStructBody((cc2) => {
            cc2.i64(2, m.offset);
            cc2.struct(3, (md) => {
              md.i32(1, TYPE[m.col.type]);
              md.list(2, 5, [0], (x, e) => x.rawI32(e));
              md.list(3, 8, [m.col.name], (x, e) => x.rawStr(e));
              md.i32(4, 0).i64(5, numRows).i64(6, m.size).i64(7, m.size).i64(9, m.offset);
              if (m.col.type === 'int64' && m.col.values.length) {
                const vals = m.col.values;
                const le = (v: bigint) => {
                  const b = Buffer.alloc(8);
                  b.writeBigInt64LE(v);
                  return b;
                };
                const max = vals.reduce((a, b) => (b > a ? b : a));
                const min = vals.reduce((a, b) => (b < a ? b : a));
                md.struct(12, (st) => st.bin(5, le(max)).bin(6, le(min)));
              }
            });
          });
        });
        rg.i64(2, meta.reduce((a, m) => a + m.size, 0)).i64(3, numRows);
      });
    });
  });
  const fmb = Buffer.from(fm.bytes);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(fmb.length);
  chunks.push(fmb, len, Buffer.from('PAR1'));
  return Buffer.concat(chunks);
}
