/**
 * Live (incremental) indicators: `createLiveState({ indicators?, tickers, history })` warms up
 * from a Panel, then `update({ time, bars })` advances every indicator by one minute in O(1)
 * per bar per indicator, equal to the batch engine (computeIndicators) on the same bars.
 * With `model` (a loaded checkpoint), each update also computes the market context and the
 * regime and ranks the model's indicators by their gates per ticker (select.ts).
 * See docs/live.md.
 */
export { LiveBarError, type LiveBar, type LiveBarErrorCode, type LiveSnapshot, type LiveState, type LiveStateOptions, type LiveUpdate } from './state.js';
export { createLiveState, createLiveModelState, type LiveModelOptions, type LiveModelState, type LiveModelUpdate, type LiveSelection, type LiveIndicatorScore, type RegimeChange } from './select.js';
export { createLiveContext, type LiveContext } from './context.js';
export { LIVE_INDICATORS, isLiveIndicator } from './registry.js';
