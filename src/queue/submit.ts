/**
 * The submitting side of a queued run (`run --queue`): the executor hands each missed node here
 * once its inputs exist, and this enqueues one job for it and waits. Completion comes from
 * BullMQ's queue events, with a reconciliation every `pollMs` that asks Redis for the job's state
 * (events can be missed across a Redis restart): a completed job resolves, a job gone missing
 * (Redis restarted without its data) is enqueued again, a job failed on its last attempt
 * rejects with the worker's failure. Job ids name the store and the key, so a job redelivered or
 * enqueued twice runs (or finds its output) once. The enqueue is one add; a job already under
 * that id (an earlier run's) is judged when Redis says `duplicated`: completed with its entry
 * still stored counts as done, completed with the entry gone runs again, failed gets its
 * attempts anew once (a cause may have been fixed since).
 */
import { createHash } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { InputRefs, RemoteNodes } from '../dag/execute.js';
import type { Reporter } from '../dag/events.js';
import type { PlanNode } from '../dag/plan.js';
import { PACKAGE_VERSION } from '../run-env.js';
import { QUEUE_NAME, type QueueTarget } from './connection.js';
import { failureOfReason, type NodeJobData, type NodeJobProgress, type NodeJobResult, type PlanSource } from './protocol.js';

export interface QueueRunOptions {
  target: QueueTarget;
  source: PlanSource;
  /** The --store value workers open (the same store as this run's). */
  store: string;
  /** Attempts per node before it counts as failed (default 3). */
  attempts?: number;
  /** How often job states are reconciled with Redis (default 1000 ms). */
  pollMs?: number;
  /**
   * Lower this process's CPU priority (nice 10) while it submits (default true): its work is
   * bookkeeping, and a worker on the same machine handing one node to the next should get
   * the cores first; it still gets every idle moment. False keeps the priority as it is.
   */
  yieldCpu?: boolean;
}

/** The nice value a submitting process takes (see QueueRunOptions.yieldCpu). */
export const SUBMITTER_NICE = 10;

/** Raises this process's nice value to `nice` (never lowers it: that needs privileges). */
function yieldCpu(nice: number): void {
  try {
    if (getPriority() < nice) setPriority(nice);
  } catch {
    /* not permitted here (some containers): the run is the same, only its hand-overs slower */
  }
}

/** A node failed on a worker: the worker's message and hint, and how many attempts it had. */
export class RemoteNodeError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RemoteNodeError';
  }
}

/**
 * One finished job's timeline in epoch ms (Date.now(): the submitter's and the job process's
 * wall clocks, the same clock on one machine, as in the bench). Whole ms: a difference is off by
 * under 1 ms either way, and unbiased over many jobs; the finer monotonic clock cannot be
 * compared across processes (performance.timeOrigin is off by up to ~1.5 ms per process).
 */
export interface JobTimeline {
  node: string;
  /** The executor handed the node to the queue (its inputs existed). */
  decidedAt: number;
  /** The job process got the job. */
  startedAt: number;
  /** The job process answered (work and GC done). */
  doneAt: number;
  /** This process learnt it finished. */
  seenAt: number;
  /** Which job process ran it (`worker/pid`). */
  slot: string;
  /** The node's own work inside the job process (runNodeJob). */
  workerMs: number;
  /** The forced GC after it in the job process (memory release, not queue overhead). */
  gcMs: number;
  cached: boolean;
}

interface Waiting {
  node: PlanNode;
  data: NodeJobData;
  jobId: string;
  signal: AbortSignal;
  report: Reporter;
  resolve(): void;
  reject(e: Error): void;
  /** Attempts already said as failed (to say each once). */
  failuresSaid: number;
  /** The timestamp this run's add gave the job (a job under its id with another is older, or another run's). */
  addedAt?: number;
  /** A failed job found under its id was given its attempts anew (once: a second failure is the node's). */
  retriedOld?: boolean;
  /** When the executor handed it over (for the timeline). */
  decidedAt: number;
  /** Whether the store holds the key now (a completed job found under its id may predate a removal). */
  stored(key: string): Promise<boolean>;
}

export class QueueClient implements RemoteNodes {
  private readonly queue: Queue<NodeJobData>;
  private readonly events: QueueEvents;
  private readonly waiting = new Map<string, Waiting>();
  private readonly timer: NodeJS.Timeout;
  private readonly storeTag: string;
  private reconciling = false;
  private readonly watched = new WeakSet<AbortSignal>();
  /**
   * What the queue cost, for `npm run bench -- distributed`: per finished job its timeline (from
   * the completed event, no extra call), and enqueueMs, the wall time with at least one add in
   * flight (adds of a fan-out overlap on one connection: each ms is counted once).
   */
  readonly stats = { jobs: 0, enqueueMs: 0, requeued: 0, finished: [] as JobTimeline[] };
  private enqueuesInFlight = 0;
  private enqueueBusySince = 0;

  private constructor(private readonly o: QueueRunOptions) {
    this.queue = new Queue<NodeJobData>(QUEUE_NAME, { connection: o.target.connection });
    this.events = new QueueEvents(QUEUE_NAME, { connection: o.target.connection });
    this.storeTag = createHash('sha256').update(o.store).digest('hex').slice(0, 12);
    this.queue.on('error', () => {}); // connection trouble: ioredis reconnects, reconcile catches up
    this.events.on('error', () => {});
    // A completed job's output is in the store (a job completes only after storing it): resolve
    // at once; its timeline for the stats comes with the event (the job's return value).
    this.events.on('completed', ({ jobId, returnvalue }) => this.completed(jobId, returnvalue as unknown as NodeJobResult));
    this.events.on('failed', ({ jobId }) => void this.settle(jobId));
    // The add found a job under its id: see whether it is waiting, running, done or failed.
    this.events.on('duplicated', ({ jobId }) => void this.settle(jobId));
    this.events.on('progress', ({ jobId, data }) => {
      const w = this.waiting.get(jobId);
      const p = data as unknown as NodeJobProgress;
      if (!w || !p) return;
      if (typeof p.fraction === 'number') w.report({ type: 'node-progress', node: w.node.id, ref: w.node.ref, step: w.node.step.name, fraction: p.fraction, note: p.note ? `${p.note} (on ${p.worker})` : `on ${p.worker}` });
      if (p.warn) w.report({ type: 'warn', node: w.node.id, message: p.warn });
      if (p.info) w.report({ type: 'info', node: w.node.id, message: p.info });
    });
    this.timer = setInterval(() => void this.reconcile(), o.pollMs ?? 1000);
    this.timer.unref();
  }

  static async open(o: QueueRunOptions): Promise<QueueClient> {
    if (o.yieldCpu !== false) yieldCpu(SUBMITTER_NICE);
    const c = new QueueClient(o);
    await Promise.all([c.queue.waitUntilReady(), c.events.waitUntilReady()]);
    return c;
  }

  private jobIdOf(key: string, force: boolean): string {
    // A forced node (refresh, always-run) must run now even if an earlier job had its key.
    return `${this.storeTag}-${key}${force ? `-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` : ''}`;
  }

  /** Adds the node's job: one round trip (a job already holding its id stays, and settle() looks at it). */
  private async enqueue(w: Waiting): Promise<void> {
    if (this.enqueuesInFlight++ === 0) this.enqueueBusySince = performance.now();
    try {
      // The job's own timestamp marks it as this run's: a job found under its id with another
      // one was there before (or is another run's), and settle() decides what it means.
      w.addedAt = Date.now();
      await this.queue.add(w.node.step.name, w.data, {
        jobId: w.jobId,
        timestamp: w.addedAt,
        attempts: this.o.attempts ?? 3,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    } finally {
      if (--this.enqueuesInFlight === 0) this.stats.enqueueMs += performance.now() - this.enqueueBusySince;
    }
  }

  run(node: PlanNode, key: string, inputs: InputRefs, o: { force: boolean; signal: AbortSignal; report: Reporter; stored(key: string): Promise<boolean> }): Promise<void> {
    const data: NodeJobData = { v: 1, packageVersion: PACKAGE_VERSION, source: this.o.source, store: this.o.store, node: node.id, key, inputs, force: o.force, refresh: o.force };
    const jobId = this.jobIdOf(key, o.force);
    this.stats.jobs++;
    this.watch(o.signal);
    return new Promise<void>((resolve, reject) => {
      const w: Waiting = { node, data, jobId, signal: o.signal, report: o.report, resolve, reject, failuresSaid: 0, stored: o.stored, decidedAt: Date.now() };
      this.waiting.set(jobId, w);
      this.enqueue(w).catch(() => {
        /* Redis unreachable right now: the reconciliation enqueues it when it is back */
      });
    });
  }

  /** One abort listener per run's signal (not per job: a sweep has thousands in flight). */
  private watch(signal: AbortSignal): void {
    if (this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        for (const [id, w] of [...this.waiting]) if (w.signal === signal) this.drop(id, new Error('the run was interrupted'));
      },
      { once: true },
    );
  }

  private drop(jobId: string, e: Error): void {
    const w = this.waiting.get(jobId);
    if (!w) return;
    this.waiting.delete(jobId);
    w.reject(e);
    void this.queue.remove(jobId).catch(() => {}); // a locked (running) job stays: its output is harmless
  }

  private completed(jobId: string, r: NodeJobResult | undefined): void {
    const w = this.waiting.get(jobId);
    if (!w) return;
    this.waiting.delete(jobId);
    const seenAt = Date.now();
    w.resolve();
    this.stats.finished.push({ node: w.node.id, decidedAt: w.decidedAt, startedAt: r?.startedAt ?? w.decidedAt, doneAt: r?.doneAt ?? seenAt, seenAt, slot: r?.slot ?? r?.worker ?? '?', workerMs: r?.ms ?? 0, gcMs: r?.gcMs ?? 0, cached: r?.cached ?? false });
  }

  /** Looks at the job's state and settles its waiter when the job is done either way. */
  private async settle(jobId: string): Promise<void> {
    const w = this.waiting.get(jobId);
    if (!w) return;
    let job: Job<NodeJobData> | undefined;
    let state: string;
    try {
      job = await this.queue.getJob(jobId);
      state = job ? await job.getState() : 'unknown';
    } catch {
      return; // Redis is away: the next reconciliation asks again
    }
    if (!this.waiting.has(jobId)) return;
    const older = job !== undefined && job.timestamp !== w.addedAt;
    if (state === 'completed') {
      // A job enqueued only on a store miss: an older completed one whose entry is gone now
      // (removed since) runs again; one that stored it (another run's, shared) counts as done.
      if (older && !(await w.stored(w.data.key).catch(() => true))) {
        await this.queue.remove(jobId).catch(() => {});
        await this.enqueue(w).catch(() => {});
        return;
      }
      this.completed(jobId, job?.returnvalue as NodeJobResult | undefined);
    } else if (state === 'failed' && older && !w.retriedOld) {
      // Failed before this run (an earlier run's attempts): its attempts start anew.
      w.retriedOld = true;
      await job!.retry('failed').catch(() => {});
    } else if (state === 'failed') {
      this.waiting.delete(jobId);
      const f = failureOfReason(job!.failedReason);
      const n = job!.attemptsMade;
      w.reject(new RemoteNodeError(`${f.message} (failed on ${n === 1 ? 'its only attempt' : `each of ${n} attempts`})`, f.hint));
    } else if (job && job.attemptsMade > w.failuresSaid && job.failedReason) {
      // A failed attempt with more to come: say it once, keep waiting.
      w.failuresSaid = job.attemptsMade;
      w.report({ type: 'warn', node: w.node.id, message: `${w.node.id}: attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed on a worker (${failureOfReason(job.failedReason).message}); retrying` });
    } else if (state === 'unknown') {
      // Lost (Redis restarted without its data, or removed by hand): enqueue it again.
      this.stats.requeued++;
      w.report({ type: 'info', node: w.node.id, message: `the job of ${w.node.id} was not in the queue any more; enqueued again` });
      await this.enqueue(w).catch(() => {});
    }
  }

  /**
   * Catches what the events missed: one pipelined round trip reads two small fields of every
   * waited job's hash (not the job with its data), and only a job gone, finished or failed an
   * attempt is looked at in full (settle).
   */
  private async reconcile(): Promise<void> {
    if (this.reconciling || this.waiting.size === 0) return;
    this.reconciling = true;
    try {
      const ids = [...this.waiting.keys()];
      // BullMQ's connection is an ioredis client (its own type names only what BullMQ calls).
      const client = (await this.queue.backend.client) as unknown as Redis;
      const pipe = client.pipeline();
      for (const id of ids) pipe.hmget(this.queue.toKey(id), 'timestamp', 'finishedOn', 'failedReason');
      const replies = (await pipe.exec()) ?? [];
      for (const [i, id] of ids.entries()) {
        const [err, fields] = replies[i] ?? [new Error('no reply')];
        const [timestamp, finishedOn, failedReason] = (fields as (string | null)[] | undefined) ?? [];
        if (err || timestamp === null || finishedOn || failedReason) await this.settle(id);
      }
    } catch {
      /* Redis is away: the next reconciliation asks again */
    } finally {
      this.reconciling = false;
    }
  }

  /** Jobs still waited on (for messages when a run is interrupted). */
  get pending(): number {
    return this.waiting.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const id of [...this.waiting.keys()]) this.drop(id, new Error('the queue was closed'));
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
