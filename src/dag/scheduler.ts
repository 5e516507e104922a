/**
 * Runs tasks at most `concurrency` at a time, highest priority first, within per-resource
 * limits (e.g. at most one MLX training at a time, whatever the concurrency). A priority is a
 * tuple compared element by element, smaller first, so a new dimension (a sweep point) is one
 * more element rather than a digit squeezed into a number.
 */

export type Priority = readonly number[];

export interface Task {
  priority: Priority;
  /** Units of named resources the task holds while it runs. */
  resources?: Readonly<Record<string, number>>;
  run(): Promise<void>;
}

export function comparePriority(a: Priority, b: Priority): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export class Scheduler {
  private readonly pending: { task: Task; seq: number }[] = [];
  private readonly inUse = new Map<string, number>();
  private running = 0;
  private seq = 0;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly limits: Readonly<Record<string, number>> = {},
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
  }

  add(task: Task): void {
    for (const [name, units] of Object.entries(task.resources ?? {})) {
      const limit = this.limits[name];
      if (limit !== undefined && units > limit) throw new RangeError(`a task needs ${units} of resource ${name}, more than its limit ${limit}`);
    }
    // Keep pending sorted; equal priorities stay first-come first-served.
    const entry = { task, seq: this.seq++ };
    let i = this.pending.length;
    while (i > 0 && comparePriority(this.pending[i - 1].task.priority, task.priority) > 0) i--;
    this.pending.splice(i, 0, entry);
    this.pump();
  }

  /** Drops every task not started yet (an interrupt). */
  clear(): void {
    this.pending.length = 0;
    this.settleIfIdle();
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private fits(task: Task): boolean {
    for (const [name, units] of Object.entries(task.resources ?? {})) {
      const limit = this.limits[name];
      if (limit !== undefined && (this.inUse.get(name) ?? 0) + units > limit) return false;
    }
    return true;
  }

  private hold(task: Task, sign: 1 | -1): void {
    for (const [name, units] of Object.entries(task.resources ?? {})) this.inUse.set(name, (this.inUse.get(name) ?? 0) + sign * units);
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      // The best task whose resources are free: a held resource does not block other work.
      const i = this.pending.findIndex((p) => this.fits(p.task));
      if (i < 0) break;
      const [{ task }] = this.pending.splice(i, 1);
      this.running++;
      this.hold(task, 1);
      void task
        .run()
        .catch(() => {
          /* tasks settle their own failures; nothing may escape into the scheduler */
        })
        .finally(() => {
          this.running--;
          this.hold(task, -1);
          this.pump();
          this.settleIfIdle();
        });
    }
  }

  private settleIfIdle(): void {
    if (this.running !== 0 || this.pending.length !== 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
