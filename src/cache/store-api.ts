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

/** Content-addressed artifacts: a key names one output; every read is verified. */
export interface ArtifactStore {
  /** The entry's record (meta verified, arrays not read), or undefined. Throws CorruptEntryError (entry removed). */
  lookup(key: string): ArtifactRecord | undefined;
  /** The entry with its arrays, verified. Throws CorruptEntryError (entry removed). */
  load(key: string, opts?: { touch?: boolean }): LoadedArtifact | undefined;
  /** Stores an entry atomically (a reader never sees it half-written); storing a key again is harmless. */
  store(key: string, input: StoreInput): ArtifactRecord;
  /** Counts as a use (cache hits), so age-based gc keeps it. */
  touch(key: string): void;
  remove(key: string): void;
}

/** Run records: written as a run goes, read by `runs ls/show`. */
export interface RunRecords {
  begin(r: Omit<RunRecord, 'status' | 'finishedAt' | 'gitDirty'>): void;
  recordNode(runId: string, n: NodeRecord): void;
  finish(runId: string, status: RunStatus, metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): void;
  list(limit?: number): (RunRecord & { hits: number; nodes: number })[];
  get(idOrPrefix: string): RunRecord | undefined;
  /** The points of a sweep, in point order. */
  sweep(idOrPrefix: string): RunRecord[];
  count(prefix: string): number;
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
