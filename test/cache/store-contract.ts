/**
 * The Store contract: what every backend (local SQLite + blobs, shared folder, later S3) must
 * do the same way, so the executor and the queue workers never care which one they have.
 * `storeContract(name, makeStore, backend)` defines the vitest cases; a backend supplies a
 * factory of fresh, empty stores, a way to open a second instance ("another machine") on a
 * store's location, and two fault injectors that touch its files the way a crash or a bad
 * disk would (everything else goes through the Store interface only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, StoreInput } from '../../src/cache/store-api.js';
import type { NodeRecord, RunRecord } from '../../src/cache/runs.js';
import { CorruptEntryError } from '../../src/util/errors.js';
import { clearSecrets, registerSecret } from '../../src/util/redact.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { keyOf, largeInput, smallInput } from './fixtures.js';

export { keyOf, largeInput, smallInput } from './fixtures.js';

export interface StoreBackend {
  /** A second Store instance on the same location (another machine mounting the same store). */
  reopen(location: string): Store;
  /**
   * Leaves what a writer killed mid-store leaves: 'blob-temp', only its blob's temp file;
   * 'blob-renamed', the blob in place but nothing that indexes it.
   */
  killWriter(store: Store, key: string, input: StoreInput, stage: 'blob-temp' | 'blob-renamed'): void;
  /** Begins run `id` on the store at `location` from a child process that then exits (killed mid-run). */
  beginInDeadProcess(location: string, id: string): Promise<void>;
  /** Flips one byte of the stored arrays of `key`, as a bad disk would. */
  flipBlobByte(store: Store, key: string): void;
}

const bytesOf = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function expectSameTensors(got: Record<string, Tensor>, want: Record<string, Tensor>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, t] of Object.entries(want)) {
    expect(got[name].dtype, name).toBe(t.dtype);
    expect(got[name].shape, name).toEqual(t.shape);
    expect(bytesOf(got[name]).equals(bytesOf(t)), `${name} bytes`).toBe(true);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function begun(id: string, startedAt: number, extra: Partial<RunRecord> = {}): Omit<RunRecord, 'status' | 'finishedAt' | 'gitDirty'> {
  return {
    id,
    startedAt,
    specPath: '/specs/quick.yaml',
    specName: 'quick',
    specHash: keyOf(`spec ${id}`),
    specText: `name: quick\nparams: {days: 5}\n# ${id}\n`,
    specBlob: 'a'.repeat(40),
    resolved: { params: { days: 5, epochs: 2 }, tickers: ['AAPL', 'MSFT'] },
    seed: 42,
    packageVersion: '0.1.0',
    gitCommit: 'b'.repeat(40),
    ...extra,
  };
}

const node = (id: string, status: string, extra: Partial<NodeRecord> = {}): NodeRecord => ({ id, step: id.split('#')[0], status, ms: 12.5, key: keyOf(id), ...extra });

export function storeContract(name: string, makeStore: () => Store, backend: StoreBackend): void {
  describe(`Store contract: ${name}`, () => {
    const open: Store[] = [];
    const fresh = () => {
      const s = makeStore();
      open.push(s);
      return s;
    };
    const twin = (s: Store) => {
      const t = backend.reopen(s.location);
      open.push(t);
      return t;
    };
    afterEach(() => {
      for (const s of open.splice(0)) s.close();
    });

    describe('artifacts', () => {
      it('store → lookup → load round-trips arrays byte for byte and meta exactly', async () => {
        const s = fresh();
        for (const [key, input] of [[keyOf('small'), smallInput()], [keyOf('large'), largeInput()]] as const) {
          expect(await s.artifacts.lookup(key)).toBeUndefined();
          expect(await s.artifacts.load(key)).toBeUndefined();
          const rec = await s.artifacts.store(key, input);
          expect(rec).toMatchObject({ key, step: input.step, kind: input.kind, contentId: input.contentId, meta: input.meta });
          expect(rec.bytes).toBeGreaterThan(0);
          expect(rec.checksum).toMatch(/^[0-9a-f]{64}$/);
          const found = (await s.artifacts.lookup(key))!;
          const { lastUsedAt: _a, ...stable } = rec;
          expect(found).toMatchObject(stable);
          expect(found.lastUsedAt).toBeGreaterThanOrEqual(found.createdAt);
          const loaded = (await s.artifacts.load(key))!;
          expect(loaded.record).toMatchObject(stable);
          expect(loaded.record.meta).toEqual(input.meta);
          expectSameTensors(loaded.tensors, input.tensors);
        }
      });

      it('a key stored twice (a redelivered job) is harmless: one entry, same content', async () => {
        const s = fresh();
        const other = twin(s);
        const key = keyOf('twice');
        const first = await s.artifacts.store(key, largeInput());
        const second = await other.artifacts.store(key, largeInput());
        expect(second.checksum).toBe(first.checksum);
        expect((await s.artifacts.store(key, largeInput())).checksum).toBe(first.checksum);
        for (const st of [s, other]) {
          expect((await st.artifacts.lookup(key))!.checksum).toBe(first.checksum);
          expectSameTensors((await st.artifacts.load(key))!.tensors, largeInput().tensors);
        }
        await s.artifacts.remove(key);
        expect(await other.artifacts.lookup(key)).toBeUndefined(); // one entry, not two
      });

      for (const stage of ['blob-temp', 'blob-renamed'] as const) {
        it(`a reader never sees a half-written entry (writer killed: ${stage}); the retried write succeeds`, async () => {
          const s = fresh();
          const reader = twin(s);
          const key = keyOf(`killed ${stage}`);
          backend.killWriter(s, key, largeInput(), stage);
          for (const st of [s, reader]) {
            expect(await st.artifacts.lookup(key)).toBeUndefined();
            expect(await st.artifacts.load(key)).toBeUndefined();
          }
          const rec = await reader.artifacts.store(key, largeInput()); // the job, retried on another machine
          expect((await s.artifacts.lookup(key))!.checksum).toBe(rec.checksum);
          expectSameTensors((await s.artifacts.load(key))!.tensors, largeInput().tensors);
        });
      }

      for (const size of ['small', 'large'] as const) {
        it(`a flipped blob byte (${size} entry) is detected on load: CorruptEntryError, entry removed, then stored anew`, async () => {
          const s = fresh();
          const key = keyOf(`flip ${size}`);
          const input = size === 'small' ? smallInput(3) : largeInput(3);
          const keep = keyOf(`flip ${size} neighbour`);
          await s.artifacts.store(keep, smallInput(4));
          await s.artifacts.store(key, input);
          backend.flipBlobByte(s, key);
          let err: unknown;
          try {
            await s.artifacts.load(key);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(CorruptEntryError);
          expect((err as CorruptEntryError).key).toBe(key);
          expect(await s.artifacts.lookup(key)).toBeUndefined();
          expect(await twin(s).artifacts.load(key)).toBeUndefined();
          expectSameTensors((await s.artifacts.load(keep))!.tensors, smallInput(4).tensors);
          await s.artifacts.store(key, input);
          expectSameTensors((await s.artifacts.load(key))!.tensors, input.tensors);
        });
      }

      it('remove drops the entry (and only it); removing a missing key is harmless', async () => {
        const s = fresh();
        const [a, b] = [keyOf('rm a'), keyOf('rm b')];
        await s.artifacts.store(a, largeInput(11));
        await s.artifacts.store(b, smallInput(12));
        await s.artifacts.remove(a);
        expect(await s.artifacts.lookup(a)).toBeUndefined();
        expect(await s.artifacts.load(a)).toBeUndefined();
        expect(await twin(s).artifacts.lookup(a)).toBeUndefined();
        expectSameTensors((await s.artifacts.load(b))!.tensors, smallInput(12).tensors);
        await expect(s.artifacts.remove(a)).resolves.toBeUndefined();
        await expect(s.artifacts.remove(keyOf('never stored'))).resolves.toBeUndefined();
        await s.artifacts.store(a, largeInput(11));
        expectSameTensors((await s.artifacts.load(a))!.tensors, largeInput(11).tensors);
      });

      it('touch and load count as a use (lastUsedAt moves); load({touch: false}) does not; touching a missing key creates nothing', async () => {
        const s = fresh();
        const key = keyOf('touch');
        await s.artifacts.store(key, smallInput(5));
        const t0 = (await s.artifacts.lookup(key))!.lastUsedAt;
        await sleep(30);
        await s.artifacts.load(key, { touch: false });
        expect((await s.artifacts.lookup(key))!.lastUsedAt).toBe(t0);
        await s.artifacts.touch(key);
        const t1 = (await s.artifacts.lookup(key))!.lastUsedAt;
        expect(t1).toBeGreaterThan(t0);
        expect((await twin(s).artifacts.lookup(key))!.lastUsedAt).toBe(t1); // seen from another machine
        await sleep(30);
        await s.artifacts.load(key);
        expect((await s.artifacts.lookup(key))!.lastUsedAt).toBeGreaterThan(t1);
        const missing = keyOf('touch missing');
        await s.artifacts.touch(missing);
        expect(await s.artifacts.lookup(missing)).toBeUndefined();
      });
    });

    describe('run records', () => {
      it('begin / recordNode / finish / get: the record reads back as written, nodes in the order recorded', async () => {
        const s = fresh();
        const id = 'run-20261202-aaaa1111';
        await s.runs.begin(begun(id, 1_000, { sweepValues: undefined }));
        let rec = (await s.runs.get(id))!;
        expect(rec).toMatchObject({ ...begun(id, 1_000), status: 'running', nodes: [] });
        expect(rec.finishedAt).toBeUndefined();
        await s.runs.recordNode(id, node('fetch#0', 'ran', { batch: 0, contentId: keyOf('bars') }));
        await s.runs.recordNode(id, node('indicators#0', 'hit', { batch: 0 }));
        await s.runs.recordNode(id, node('train', 'failed', { error: 'out of memory', key: undefined }));
        (await s.runs.recordNode(id, node('train', 'ran', { weightsHash: keyOf('w') }))); // recorded again: replaces, moves last
        await s.runs.finish(id, 'ok', { model: { auc: 0.61, acc: 0.55 } }, undefined, false);
        rec = (await s.runs.get(id))!;
        expect(rec).toMatchObject({ id, status: 'ok', metrics: { model: { auc: 0.61, acc: 0.55 } }, gitDirty: false, resolved: begun(id, 1).resolved });
        expect(rec.error).toBeUndefined();
        expect(rec.finishedAt).toBeGreaterThan(0);
        expect(rec.nodes!.map((n) => [n.node, n.status, n.hit])).toEqual([
          ['fetch#0', 'ran', false],
          ['indicators#0', 'hit', true],
          ['train', 'ran', false],
        ]);
        expect(rec.nodes![0]).toMatchObject({ step: 'fetch', batch: 0, key: keyOf('fetch#0'), ms: 12.5, contentId: keyOf('bars') });
        expect(rec.nodes![2]).toMatchObject({ weightsHash: keyOf('w') });
        expect(rec.nodes![2].error).toBeUndefined();
      });

      it('a failed run keeps its error; get by unique prefix; an ambiguous or unknown prefix finds nothing; count', async () => {
        const s = fresh();
        await s.runs.begin(begun('abc-1', 1_000));
        await s.runs.begin(begun('abc-2', 2_000));
        await s.runs.begin(begun('xyz-1', 3_000));
        await s.runs.finish('abc-2', 'failed', {}, 'train: loss is NaN', true);
        expect(await s.runs.get('abc-2')).toMatchObject({ status: 'failed', error: 'train: loss is NaN', gitDirty: true });
        expect((await s.runs.get('xyz'))!.id).toBe('xyz-1');
        expect(await s.runs.get('abc')).toBeUndefined();
        expect(await s.runs.get('nope')).toBeUndefined();
        expect(await s.runs.count('abc')).toBe(2);
        expect(await s.runs.count('abc-1')).toBe(1);
        expect(await s.runs.count('')).toBe(3);
        expect(await s.runs.count('q')).toBe(0);
        expect(await s.runs.count('abc_')).toBe(0); // a prefix is literal, not a pattern
      });

      it('list: newest first, limited, with node and hit counts', async () => {
        const s = fresh();
        await s.runs.begin(begun('r-old', 1_000));
        await s.runs.begin(begun('r-new', 3_000));
        await s.runs.begin(begun('r-mid', 2_000));
        await s.runs.recordNode('r-mid', node('fetch#0', 'hit'));
        await s.runs.recordNode('r-mid', node('fetch#1', 'hit'));
        await s.runs.recordNode('r-mid', node('train', 'ran'));
        const all = await s.runs.list();
        expect(all.map((r) => r.id)).toEqual(['r-new', 'r-mid', 'r-old']);
        expect(all.map((r) => [r.nodes, r.hits])).toEqual([[0, 0], [3, 2], [0, 0]]);
        expect(all[1]).toMatchObject({ specName: 'quick', status: 'running', seed: 42 });
        expect((await s.runs.list(2)).map((r) => r.id)).toEqual(['r-new', 'r-mid']);
        expect(await fresh().runs.list()).toEqual([]);
      });

      it('sweep: a sweep\'s points in point order, by id or unique prefix, with their nodes', async () => {
        const s = fresh();
        const sweepId = 'sweep-7f3a';
        for (const p of [2, 0, 1]) {
          await s.runs.begin(begun(`${sweepId}-p${p}`, 1_000 + p, { sweepId, sweepPoint: p, sweepValues: { epochs: p + 1, interval: 10 } }));
          await s.runs.recordNode(`${sweepId}-p${p}`, node(`train@${p}`, 'ran', { point: p }));
        }
        await s.runs.begin(begun('sweep-8000-p0', 5_000, { sweepId: 'sweep-8000', sweepPoint: 0, sweepValues: { epochs: 9 } }));
        await s.runs.begin(begun('single', 6_000));
        const points = await s.runs.sweep(sweepId);
        expect(points.map((r) => [r.sweepPoint, r.sweepValues])).toEqual([
          [0, { epochs: 1, interval: 10 }],
          [1, { epochs: 2, interval: 10 }],
          [2, { epochs: 3, interval: 10 }],
        ]);
        expect(points[1].nodes!.map((n) => [n.node, n.point])).toEqual([['train@1', 1]]);
        expect((await s.runs.sweep('sweep-7')).map((r) => r.id)).toEqual(points.map((r) => r.id));
        expect(await s.runs.sweep('sweep-')).toEqual([]); // two sweeps match
        expect(await s.runs.sweep('single')).toEqual([]);
        expect(await s.runs.get(`${sweepId}-p1`)).toMatchObject({ sweepId, sweepPoint: 1 });
      });

      it('secrets never reach the store: spec text, resolved params, node errors, run errors and meta are redacted', async () => {
        const secret = 'sk-live-5ecr3t-value';
        registerSecret(secret);
        try {
          const s = fresh();
          await s.runs.begin(begun('secret-run', 1_000, { specText: `url: https://x.test/bars?apiKey=${secret}\n`, resolved: { data: { token: secret } } }));
          await s.runs.recordNode('secret-run', node('fetch#0', 'failed', { error: `401 for key ${secret}` }));
          await s.runs.finish('secret-run', 'failed', {}, `fetch failed: ${secret}`);
          const key = keyOf('secret meta');
          await s.artifacts.store(key, { ...smallInput(), meta: { url: `https://x.test/?token=${secret}` } });
          const everything = JSON.stringify([(await twin(s).runs.get('secret-run')), (await s.runs.list()), (await s.artifacts.lookup(key)), (await s.artifacts.load(key))!.record]);
          expect(everything).not.toContain(secret);
          expect(everything).toContain('***');
        } finally {
          clearSecrets();
        }
      });

      it('a run whose process died without finishing reads as interrupted', async () => {
        const s = fresh();
        await backend.beginInDeadProcess(s.location, 'dead-run');
        expect((await s.runs.get('dead-run'))!.status).toBe('interrupted'); // an instance opened before the death
        const later = twin(s); // one opened after it also says why
        expect(await later.runs.get('dead-run')).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/ended without closing the run/) });
        expect((await later.runs.get('dead-run'))!.nodes!.map((n) => n.node)).toEqual(['fetch#0']);
        expect((await later.runs.list()).map((r) => [r.id, r.status])).toEqual([['dead-run', 'interrupted']]);
      });

      it('beginning a run id twice is refused (same instance or another)', async () => {
        const s = fresh();
        await s.runs.begin(begun('dup', 1_000));
        await expect(s.runs.begin(begun('dup', 2_000))).rejects.toThrow();
        await expect(twin(s).runs.begin(begun('dup', 3_000))).rejects.toThrow(); // from another machine too
        expect((await s.runs.get('dup'))!.startedAt).toBe(1_000);
      });
    });

    describe('two machines on one store', () => {
      it("each sees the other's artifacts and runs as they are written", async () => {
        const a = fresh();
        const b = twin(a);
        const k1 = keyOf('machine a');
        const k2 = keyOf('machine b');
        await a.artifacts.store(k1, largeInput(21));
        expectSameTensors((await b.artifacts.load(k1))!.tensors, largeInput(21).tensors);
        await b.artifacts.store(k2, smallInput(22));
        expect((await a.artifacts.lookup(k2))!.meta).toEqual(smallInput(22).meta);
        await b.artifacts.remove(k1);
        expect(await a.artifacts.lookup(k1)).toBeUndefined();

        await a.runs.begin(begun('shared-run', 1_000));
        (await b.runs.recordNode('shared-run', node('fetch#0', 'ran', { batch: 0 }))); // a worker on machine b
        await a.runs.recordNode('shared-run', node('fetch#1', 'hit', { batch: 1 }));
        await b.runs.begin(begun('b-run', 2_000));
        await a.runs.finish('shared-run', 'ok', { model: { auc: 0.5 } });
        for (const st of [a, b]) {
          expect((await st.runs.list()).map((r) => [r.id, r.nodes])).toEqual([['b-run', 0], ['shared-run', 2]]);
          const rec = (await st.runs.get('shared'))!;
          expect(rec.status).toBe('ok');
          expect(rec.nodes!.map((n) => n.node).sort()).toEqual(['fetch#0', 'fetch#1']);
          expect(await st.runs.count('')).toBe(2);
        }
      });
    });
  });
}
