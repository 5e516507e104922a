/**
 * The Store: where artifacts and run records live, behind one interface, so the executor and
 * the steps never know whether it is the local SQLite database + blob folder (the default,
 * `openLocalStore`), a shared folder or an object store. Keys are content hashes, so every
 * backend may be written at least once per key without harm.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { NodeRecord, RunRecord, RunStatus } from './runs.js';

export interface ArtifactRecord {
  key: string;
  step: string;
  kind: string;
  /** What downstream keys use to name this output: the key itself, or (fetch) the data fingerprint. */
  contentId: string;
  meta: Record<string, unknown>;
  bytes: number;
  checksum: string;
  createdAt: number;
  lastUsedAt: number;
  inline: boolean;
}

export interface StoreInput {
  step: string;
  kind: string;
  contentId: string;
  meta: Record<string, unknown>;
  tensors: Record<string, Tensor>;
}

export interface LoadedArtifact {
  record: ArtifactRecord;
  tensors: Record<string, Tensor>;
}

/**
 * Content-addressed artifacts: a key names one output; every read is verified. Every method is
 * async because a backend may be across a network (S3); the local ones answer at once.
 */
export interface ArtifactStore {
  /** The entry's record (meta verified, arrays not read), or undefined. Rejects with CorruptEntryError (entry removed). */
  lookup(key: string): Promise<ArtifactRecord | undefined>;
  /** The entry with its arrays, verified. Rejects with CorruptEntryError (entry removed). */
  load(key: string, opts?: { touch?: boolean }): Promise<LoadedArtifact | undefined>;
  /** Stores an entry atomically (a reader never sees it half-written); storing a key again is harmless. */
  store(key: string, input: StoreInput): Promise<ArtifactRecord>;
  /** Counts as a use (cache hits), so age-based gc keeps it. */
  touch(key: string): Promise<void>;
  remove(key: string): Promise<void>;
  /**
   * Shared stores (folder, S3): removes what killed writers left (temp files, blobs no entry
   * names) once `minAgeMs` old (default an hour: a younger one may be a write in progress on
   * another machine). The local cache does this in its own gc.
   */
  collectOrphans?(minAgeMs?: number): Promise<{ files: number; bytes: number }>;
}

/** Run records: written as a run goes, read by `runs ls/show`. */
export interface RunRecords {
  begin(r: Omit<RunRecord, 'status' | 'finishedAt' | 'gitDirty'>): Promise<void>;
  recordNode(runId: string, n: NodeRecord): Promise<void>;
  finish(runId: string, status: RunStatus, metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): Promise<void>;
  list(limit?: number, filter?: { specPath?: string }): Promise<(RunRecord & { hits: number; nodes: number })[]>;
  get(idOrPrefix: string): Promise<RunRecord | undefined>;
  /** The points of a sweep, in point order. */
  sweep(idOrPrefix: string): Promise<RunRecord[]>;
  count(prefix: string): Promise<number>;
  /** Every run id (for "did you mean" hints). */
  ids(): Promise<string[]>;
}

/** A backend whose answers are immediate (local disk): `asyncArtifacts` / `asyncRuns` wrap it. */
export type Immediate<T> = { [K in keyof T]: NonNullable<T[K]> extends (...a: infer A) => Promise<infer R> ? (...a: A) => R : T[K] };

/** The async face of an immediate artifact store (a throw becomes a rejection). */
export function asyncArtifacts(s: Immediate<ArtifactStore>): ArtifactStore {
  return {
    lookup: async (key) => s.lookup(key),
    load: async (key, opts) => s.load(key, opts),
    store: async (key, input) => s.store(key, input),
    touch: async (key) => s.touch(key),
    remove: async (key) => s.remove(key),
    ...(s.collectOrphans && { collectOrphans: async (minAgeMs?: number) => s.collectOrphans!(minAgeMs) }),
  };
}

/** Immediate run records, whose recordNode may also wait (off the event loop: it runs per node). */
export type ImmediateRuns = Omit<Immediate<RunRecords>, 'recordNode'> & { recordNode(runId: string, n: NodeRecord): void | Promise<void> };

/** The async face of immediate run records. */
export function asyncRuns(s: ImmediateRuns): RunRecords {
  return {
    begin: async (r) => s.begin(r),
    recordNode: async (id, n) => s.recordNode(id, n),
    finish: async (id, status, metrics, error, dirty) => s.finish(id, status, metrics, error, dirty),
    list: async (limit, filter) => s.list(limit, filter),
    get: async (id) => s.get(id),
    sweep: async (id) => s.sweep(id),
    count: async (prefix) => s.count(prefix),
    ids: async () => s.ids(),
  };
}

export interface Store {
  readonly artifacts: ArtifactStore;
  readonly runs: RunRecords;
  /** Where it lives, for messages. */
  readonly location: string;
  /** What opening had to do to an older layout ('' when nothing), shown as a note. */
  readonly migrated: string;
  close(): void;
}
