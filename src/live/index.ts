/**
 * Live (incremental) indicators: `createLiveState({ indicators?, tickers, history })` warms up
 * from a Panel, then `update({ time, bars })` advances every indicator by one minute in O(1)
 * per bar per indicator, equal to the batch engine (computeIndicators) on the same bars.
 * See docs/live.md.
 */
export { createLiveState, LiveBarError, type LiveBar, type LiveBarErrorCode, type LiveSnapshot, type LiveState, type LiveStateOptions, type LiveUpdate } from './state.js';
export { LIVE_INDICATORS, isLiveIndicator } from './registry.js';
