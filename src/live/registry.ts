/**
 * Which of the 111 indicator names the live engine implements, and the group computing each.
 * Groups twin the batch kernel files (src/indicators/kernels/*.ts), in the batch engine's order.
 */
import { INDICATOR_NAMES } from '../indicators/compute.js';
import type { LiveGroupDef } from './row.js';
import { AVWAP_GROUP } from './groups/avwap.js';
import { TREND_GROUP } from './groups/trend.js';
import { MOMENTUM_GROUP } from './groups/momentum.js';
import { VOLATILITY_GROUP } from './groups/volatility.js';
import { VOLUME_GROUP } from './groups/volume.js';
import { PRICE_GROUP } from './groups/price.js';

export const LIVE_GROUPS: readonly LiveGroupDef[] = [AVWAP_GROUP, TREND_GROUP, MOMENTUM_GROUP, VOLATILITY_GROUP, VOLUME_GROUP, PRICE_GROUP];

const GROUP_OF = new Map<string, LiveGroupDef>();
for (const g of LIVE_GROUPS) {
  for (const o of g.outputs) {
    if (!INDICATOR_NAMES.includes(o)) throw new Error(`live: group ${g.id} writes unknown indicator ${o}`);
    if (GROUP_OF.has(o)) throw new Error(`live: ${o} computed by two groups`);
    GROUP_OF.set(o, g);
  }
}

/** The indicator names the live engine computes, in the documented order. */
export const LIVE_INDICATORS: readonly string[] = Object.freeze(INDICATOR_NAMES.filter((n) => GROUP_OF.has(n)));

/** True if `name` is computed incrementally by the live engine. */
export function isLiveIndicator(name: string): boolean {
  return GROUP_OF.has(name);
}

/** The live group computing `name` (undefined if not implemented). */
export function liveGroupOf(name: string): LiveGroupDef | undefined {
  return GROUP_OF.get(name);
}
