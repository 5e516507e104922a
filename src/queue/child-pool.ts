/**
 * The worker's sandboxes: one long-lived child process per job slot, forked and loaded (MLX,
 * the step kinds) when the worker starts, so a job costs one IPC round trip instead of a process
 * start. A node's CPU-bound work runs in a child, never in the worker process, whose event loop
 * stays free to renew the job locks. A child that dies (crash, OOM) fails the job it held (the
 * queue retries it) and is replaced; a child whose worker dies exits at once (processor.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import type { NodeJobData, NodeJobProgress, NodeJobResult } from './protocol.js';

/** Worker → child. */
export type ToChild = { type: 'run'; id: number; data: NodeJobData } | { type: 'abort'; id: number };
/** Child → worker. */
export type FromChild =
  | { type: 'ready' }
  | { type: 'progress'; id: number; progress: NodeJobProgress }
  | { type: 'done'; id: number; result: NodeJobResult }
  | { type: 'failed'; id: number; message: string };

export interface JobHooks {
  signal?: AbortSignal;
  progress?: (p: NodeJobProgress) => void;
}

interface Slot {
  child: ChildProcess;
  busy?: { id: number; node: string; resolve(r: NodeJobResult): void; reject(e: Error): void };
}

/** How long a child may take to load before the worker gives up on it. */
const START_TIMEOUT_MS = 120_000;

/**
 * How much nicer a job process is than its worker: the node's compute (MLX on every core) yields
 * at once to the worker's short, latency-bound work (lock renewals, handing one job to the next,
 * which another slot's busy child would otherwise delay). Set right after the fork, before the
 * child loads MLX, so the compute threads it starts inherit it.
 */
export const JOB_PROCESS_NICE = 5;

function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, Math.min(19, getPriority() + JOB_PROCESS_NICE));
  } catch {
    /* not permitted here: the same results, only slower hand-overs under load */
  }
}

export class ChildPool {
  private readonly slots: Slot[] = [];
  /** Children forked but not ready yet (close() must stop these too). */
  private readonly starting = new Set<ChildProcess>();
  private readonly free: Slot[] = [];
  /** Jobs waiting for a free child. */
  private readonly waiters: { resolve(s: Slot): void; reject(e: Error): void }[] = [];
  private readonly progressOf = new Map<number, (p: NodeJobProgress) => void>();
  private nextId = 1;
  private closing = false;

  private constructor(
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
    private readonly execArgv: string[],
  ) {}

  /** Forks `size` children and waits until each has loaded; throws what a child said if one cannot start. */
  static async start(size: number, entry: string, env: NodeJS.ProcessEnv, log: (line: string) => void, execArgv = process.execArgv): Promise<ChildPool> {
    const pool = new ChildPool(entry, env, log, execArgv);
    try {
      await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Jobs running now. */
  get busy(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** Child pids (tests and logs). */
  get pids(): number[] {
    return this.slots.map((s) => s.child.pid!).filter(Boolean);
  }

  private spawn(): Promise<Slot> {
    let stderr = '';
    const child = fork(this.entry, [], { env: this.env, execArgv: this.execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' });
    lowerPriority(child.pid);
    // Pass the child's lines through, keeping the last few for a start failure's message.
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-2000);
      process.stderr.write(d);
    });
    const slot: Slot = { child };
    this.starting.add(child);
    child.once('exit', () => this.starting.delete(child));
    return new Promise<Slot>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`a job process did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const failedStart = (code: number | null, sig: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new Error(`a job process exited while starting (${sig ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`));
      };
      child.once('exit', failedStart);
      child.on('message', (m: FromChild) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          this.starting.delete(child);
          if (this.closing) {
            child.disconnect();
            return reject(new Error('the worker is stopping'));
          }
          child.off('exit', failedStart);
          child.once('exit', (code, sig) => this.lost(slot, code, sig));
          this.slots.push(slot);
          this.release(slot);
          resolve(slot);
        } else this.answer(slot, m);
      });
    });
  }

  private answer(slot: Slot, m: FromChild): void {
    const busy = slot.busy;
    if (!busy || m.type === 'ready' || m.id !== busy.id) return;
    if (m.type === 'progress') return void this.progressOf.get(busy.id)?.(m.progress);
    slot.busy = undefined;
    this.progressOf.delete(busy.id);
    this.release(slot);
    if (m.type === 'done') busy.resolve(m.result);
    else busy.reject(new Error(m.message));
  }

  /** A child exited: fail its job (the queue retries it elsewhere) and put a fresh one in its place. */
  private lost(slot: Slot, code: number | null, sig: NodeJS.Signals | null): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    const i = this.free.indexOf(slot);
    if (i >= 0) this.free.splice(i, 1);
    if (slot.busy) {
      this.progressOf.delete(slot.busy.id);
      slot.busy.reject(new Error(`the job process running ${slot.busy.node} exited (${sig ?? `code ${code}`}) before it finished: out of memory, or killed`));
    }
    if (this.closing) return;
    this.log(`a job process exited (${sig ?? `code ${code}`}); starting another`);
    this.replace();
  }

  private replace(): void {
    this.spawn().catch((e: Error) => {
      if (this.closing) return;
      // Jobs waiting here fail (the queue retries them elsewhere) rather than wait for ever.
      this.log(`cannot start a job process: ${e.message}; trying again in 5 s`);
      for (const w of this.waiters.splice(0)) w.reject(new Error(`this worker cannot start a job process: ${e.message}`));
      setTimeout(() => this.closing || this.replace(), 5000).unref();
    });
  }

  private release(slot: Slot): void {
    const w = this.waiters.shift();
    if (w) w.resolve(slot);
    else this.free.push(slot);
  }

  private acquire(): Promise<Slot> {
    const s = this.free.shift();
    return s ? Promise.resolve(s) : new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Runs one job in a free child; rejects with the child's failure message (or its death). */
  async run(data: NodeJobData, hooks: JobHooks = {}): Promise<NodeJobResult> {
    const slot = await this.acquire();
    const id = this.nextId++;
    return new Promise<NodeJobResult>((resolve, reject) => {
      slot.busy = { id, node: data.node, resolve, reject };
      if (hooks.progress) this.progressOf.set(id, hooks.progress);
      const abort = () => slot.child.connected && slot.child.send({ type: 'abort', id } satisfies ToChild);
      if (hooks.signal?.aborted) abort();
      else hooks.signal?.addEventListener('abort', abort, { once: true });
      slot.child.send({ type: 'run', id, data } satisfies ToChild);
    });
  }

  /** Stops every child (after the worker finished its jobs; a job still held is failed). */
  async close(): Promise<void> {
    this.closing = true;
    // Still loading: nothing to finish.
    const loading = [...this.starting].map((c) => new Promise<void>((done) => (c.once('exit', () => done()), c.kill('SIGKILL'))));
    await Promise.all([
      ...loading,
      ...this.slots.map(
        (s) =>
          new Promise<void>((done) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return done();
            s.child.once('exit', () => done());
            s.child.disconnect(); // the child exits when its channel closes
            setTimeout(() => s.child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    ]);
  }
}
