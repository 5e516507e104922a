/** Worker thread of computeIndicatorsParallel: computes one ticker slice into the shared output. */
import { parentPort } from 'node:worker_threads';
import { collect } from '../util/memory.js';
import { computeIndicators } from './compute.js';
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
  // The job held the batch's shared output cube (~90 MB for 50 tickers). This thread allocates
  // little, so without a forced collection it kept every cube alive: memory grew with the
  // universe instead of staying at one batch.
  void collect();
});
