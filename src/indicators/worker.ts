/** Worker thread of computeIndicatorsParallel: computes one ticker slice into the shared output. */
import { parentPort } from 'node:worker_threads';
import { computeIndicators } from './index.js';
import type { SliceJob, SliceReply } from './parallel.js';

if (!parentPort) throw new Error('indicators/worker: not started as a worker thread');
const port = parentPort;

port.on('message', (job: SliceJob) => {
  let reply: SliceReply;
  try {
    const out = new Float32Array(job.out, job.outOffset, job.outLength);
    const r = computeIndicators(job.panel, { names: job.names, out, nOffset: job.nOffset, nTotal: job.nTotal, countNaN: job.countNaN });
    reply = { id: job.id, ok: true, nanCount: r.nanCount ?? 0 };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: job.id, ok: false, message: err.message, stack: err.stack };
  }
  port.postMessage(reply);
});
