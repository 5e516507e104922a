/** Abort handling shared by training and inference: a rejected signal becomes an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error(`training aborted${reason !== undefined && !(reason instanceof Error) ? `: ${String(reason)}` : ''}`);
  e.name = 'AbortError';
  return e;
}

export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
