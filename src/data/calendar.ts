/**
 * NYSE regular-session calendar, by rule, for 2000–2099 (ad-hoc closures are listed for
 * 2000–2030; later years follow the regular rules only).
 *
 * - Regular session 09:30–16:00 America/New_York = 390 one-minute bars; early closes at 13:00 =
 *   210 bars. Exchange-local times are turned into UTC with luxon's IANA time-zone support, so
 *   daylight-saving switches move `openMs` by an hour (13:30Z in summer, 14:30Z in winter).
 * - Full holidays: New Year's Day (Sunday → Monday; on a Saturday it is NOT moved to Friday
 *   Dec 31, NYSE rule 7.2's year-end exception), Martin Luther King Jr. Day (3rd Mon Jan),
 *   Washington's Birthday (3rd Mon Feb), Good Friday (Gregorian computus), Memorial Day
 *   (last Mon May), Juneteenth (from 2022; Sat → Fri, Sun → Mon), Independence Day
 *   (Sat → Fri, Sun → Mon), Labor Day (1st Mon Sep), Thanksgiving (4th Thu Nov), Christmas
 *   (Sat → Fri, Sun → Mon), and the special closures 2001-09-11…14, 2004-06-11 (Reagan),
 *   2007-01-02 (Ford), 2012-10-29/30 (Sandy), 2018-12-05 (G.H.W. Bush), 2025-01-09 (Carter).
 * - Early closes (13:00): the day after Thanksgiving; Christmas Eve when Dec 24 is Mon–Thu
 *   (on a Friday it is the observed Christmas holiday); July 3 when it is Mon, Tue or Thu, and
 *   also Wed from 2013 on; before 2013, Friday July 5 when July 4 was a Thursday (2002); and
 *   the ad-hoc 2003-12-26.
 */
import { DateTime } from 'luxon';
import type { SessionInfo } from './panel.js';
import { DataError } from './provider.js';

export const EXCHANGE_TZ = 'America/New_York';
export const FULL_DAY_BARS = 390;
export const EARLY_CLOSE_BARS = 210;
export const FIRST_YEAR = 2000;
export const LAST_YEAR = 2099;

const DAY_MS = 86_400_000;

/** Special full-day closures (not rule-based). */
const SPECIAL_CLOSURES: Record<string, string> = {
  '2001-09-11': 'September 11 attacks',
  '2001-09-12': 'September 11 attacks',
  '2001-09-13': 'September 11 attacks',
  '2001-09-14': 'September 11 attacks',
  '2004-06-11': 'National Day of Mourning (Ronald Reagan)',
  '2007-01-02': 'National Day of Mourning (Gerald Ford)',
  '2012-10-29': 'Hurricane Sandy',
  '2012-10-30': 'Hurricane Sandy',
  '2018-12-05': 'National Day of Mourning (George H. W. Bush)',
  '2025-01-09': 'National Day of Mourning (Jimmy Carter)',
};
/** Special early closes (not rule-based). */
const SPECIAL_EARLY: Record<string, string> = {
  '2003-12-26': 'Day after Christmas (ad hoc)',
};

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a YYYY-MM-DD date; throws DataError on a malformed date. */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new DataError(`invalid date "${date}": expected YYYY-MM-DD (e.g. 2026-10-30)`);
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new DataError(`invalid date "${date}": no such calendar day`);
  }
  return Math.floor(ms / DAY_MS);
}

/** YYYY-MM-DD of a day number. */
export function formatDay(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** Day of week of a day number, 0 = Sunday … 6 = Saturday. */
export function weekday(n: number): number {
  return (((n + 4) % 7) + 7) % 7;
}

function ymd(y: number, m: number, d: number): number {
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** n-th given weekday (0=Sun) of a month; n = -1 means the last. */
function nthWeekday(y: number, m: number, wd: number, n: number): number {
  if (n > 0) {
    const first = ymd(y, m, 1);
    const off = (wd - weekday(first) + 7) % 7;
    return first + off + (n - 1) * 7;
  }
  const last = ymd(y, m + 1, 0);
  return last - ((weekday(last) - wd + 7) % 7);
}

/** Easter Sunday (Gregorian, anonymous computus) as a day number. */
export function easter(y: number): number {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(y, month, day);
}

/** Saturday → Friday before, Sunday → Monday after. */
function observed(n: number): number {
  const wd = weekday(n);
  return wd === 6 ? n - 1 : wd === 0 ? n + 1 : n;
}

interface YearRules {
  holidays: Map<number, string>;
  early: Map<number, string>;
}
const yearCache = new Map<number, YearRules>();

function rulesFor(y: number): YearRules {
  let r = yearCache.get(y);
  if (r) return r;
  const holidays = new Map<number, string>();
  const early = new Map<number, string>();
  // New Year's Day: Sunday → Monday; Saturday → not observed (Dec 31 stays open).
  const ny = ymd(y, 1, 1);
  if (weekday(ny) === 0) holidays.set(ny + 1, "New Year's Day (observed)");
  else if (weekday(ny) !== 6) holidays.set(ny, "New Year's Day");
  holidays.set(nthWeekday(y, 1, 1, 3), 'Martin Luther King Jr. Day');
  holidays.set(nthWeekday(y, 2, 1, 3), "Washington's Birthday");
  holidays.set(easter(y) - 2, 'Good Friday');
  holidays.set(nthWeekday(y, 5, 1, -1), 'Memorial Day');
  if (y >= 2022) holidays.set(observed(ymd(y, 6, 19)), 'Juneteenth');
  const j4 = ymd(y, 7, 4);
  holidays.set(observed(j4), 'Independence Day');
  holidays.set(nthWeekday(y, 9, 1, 1), 'Labor Day');
  const thanksgiving = nthWeekday(y, 11, 4, 4);
  holidays.set(thanksgiving, 'Thanksgiving Day');
  const xmas = ymd(y, 12, 25);
  holidays.set(observed(xmas), 'Christmas Day');
  // A Saturday New Year of next year is not observed on this Dec 31 (nothing to add).
  for (const [date, name] of Object.entries(SPECIAL_CLOSURES)) {
    if (+date.slice(0, 4) === y) holidays.set(dayNumber(date), name);
  }
  // Early closes.
  early.set(thanksgiving + 1, 'Day after Thanksgiving');
  const xeve = xmas - 1;
  const xwd = weekday(xeve);
  if (xwd >= 1 && xwd <= 4) early.set(xeve, 'Christmas Eve');
  const j3 = j4 - 1;
  const j3wd = weekday(j3);
  if (j3wd === 1 || j3wd === 2 || j3wd === 4 || (j3wd === 3 && y >= 2013)) early.set(j3, 'Day before Independence Day');
  if (y < 2013 && weekday(j4) === 4) early.set(j4 + 1, 'Day after Independence Day');
  for (const [date, name] of Object.entries(SPECIAL_EARLY)) {
    if (+date.slice(0, 4) === y) early.set(dayNumber(date), name);
  }
  for (const d of holidays.keys()) early.delete(d);
  r = { holidays, early };
  yearCache.set(y, r);
  return r;
}

function yearOf(n: number): number {
  return new Date(n * DAY_MS).getUTCFullYear();
}

function checkYear(n: number, date: string): number {
  const y = yearOf(n);
  if (y < FIRST_YEAR || y > LAST_YEAR) {
    throw new DataError(
      `date ${date} is outside the exchange calendar's range ${FIRST_YEAR}-01-01…${LAST_YEAR}-12-31`,
      'pick an end date within that range',
    );
  }
  return y;
}

function tradingDayNum(n: number, date: string): boolean {
  const wd = weekday(n);
  if (wd === 0 || wd === 6) return false;
  return !rulesFor(checkYear(n, date)).holidays.has(n);
}

/** True if the NYSE holds a regular session on this exchange-local date (YYYY-MM-DD). */
export function isTradingDay(date: string): boolean {
  return tradingDayNum(dayNumber(date), date);
}

/** Why the exchange is closed on a date ("Saturday", "Good Friday", …), or null if it is open. */
export function closedReason(date: string): string | null {
  const n = dayNumber(date);
  const wd = weekday(n);
  if (wd === 0) return 'Sunday';
  if (wd === 6) return 'Saturday';
  return rulesFor(checkYear(n, date)).holidays.get(n) ?? null;
}

/** True if the date is a trading day that closes early (13:00 ET, 210 bars). */
export function earlyClose(date: string): boolean {
  const n = dayNumber(date);
  if (!tradingDayNum(n, date)) return false;
  return rulesFor(yearOf(n)).early.has(n);
}

const openCache = new Map<number, number>();

/** Epoch ms (UTC) of 09:30 America/New_York on a day number. */
function openMsOf(n: number): number {
  let ms = openCache.get(n);
  if (ms === undefined) {
    const d = new Date(n * DAY_MS);
    ms = DateTime.fromObject(
      { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 9, minute: 30 },
      { zone: EXCHANGE_TZ },
    ).toMillis();
    openCache.set(n, ms);
  }
  return ms;
}

function sessionOfNum(n: number, date: string): SessionInfo | null {
  if (!tradingDayNum(n, date)) return null;
  const bars = rulesFor(yearOf(n)).early.has(n) ? EARLY_CLOSE_BARS : FULL_DAY_BARS;
  return { date: formatDay(n), openMs: openMsOf(n), bars, start: 0 };
}

/** The session on a date (start = 0), or null if the exchange is closed that day. */
export function sessionFor(date: string): SessionInfo | null {
  return sessionOfNum(dayNumber(date), date);
}

/** Epoch ms (UTC) at which a session's last bar ends (16:00 or 13:00 ET). */
export function sessionCloseMs(s: SessionInfo): number {
  return s.openMs + s.bars * 60_000;
}

function withStarts(list: SessionInfo[]): SessionInfo[] {
  let row = 0;
  for (const s of list) {
    s.start = row;
    row += s.bars;
  }
  return list;
}

/**
 * Every session from `from` to `to` inclusive, oldest first, with `start` set to the row offsets
 * of a panel over exactly these sessions. Throws DataError if the range holds no session.
 */
export function sessionsBetween(from: string, to: string): SessionInfo[] {
  const a = dayNumber(from);
  const b = dayNumber(to);
  if (a > b) throw new DataError(`date range ${from}…${to} is reversed: the start is after the end`, 'swap the dates');
  checkYear(a, from);
  checkYear(b, to);
  const out: SessionInfo[] = [];
  for (let n = a; n <= b; n++) {
    const s = sessionOfNum(n, formatDay(n));
    if (s) out.push(s);
  }
  if (out.length === 0) {
    const reasons = [];
    for (let n = a; n <= b && reasons.length < 5; n++) reasons.push(`${formatDay(n)} ${closedReason(formatDay(n))}`);
    throw new DataError(
      `no NYSE sessions between ${from} and ${to} (${reasons.join(', ')}${b - a >= 5 ? ', …' : ''})`,
      'widen the date range or move the end date to a trading day',
    );
  }
  return withStarts(out);
}

/**
 * The last `days` sessions on or before `end` (YYYY-MM-DD), oldest first, with `start` set.
 * `end` itself need not be a trading day.
 */
export function sessionsEnding(end: string, days: number): SessionInfo[] {
  if (!Number.isInteger(days) || days < 1) throw new DataError(`days must be a positive integer, got ${days}`, 'use e.g. --days 20');
  let n = dayNumber(end);
  checkYear(n, end);
  const out: SessionInfo[] = [];
  while (out.length < days) {
    const date = formatDay(n);
    if (yearOf(n) < FIRST_YEAR) {
      throw new DataError(
        `only ${out.length} sessions exist between ${FIRST_YEAR}-01-01 and ${end}, ${days} requested`,
        'use fewer days or a later end date',
      );
    }
    const s = sessionOfNum(n, date);
    if (s) out.push(s);
    n--;
  }
  return withStarts(out.reverse());
}

/** The session before `date` (exclusive), or null before the calendar's range. */
export function previousSession(date: string): SessionInfo | null {
  let n = dayNumber(date) - 1;
  for (let i = 0; i < 30; i++, n--) {
    if (yearOf(n) < FIRST_YEAR) return null;
    const s = sessionOfNum(n, formatDay(n));
    if (s) return s;
  }
  return null;
}

/** Exchange-local date (YYYY-MM-DD) of an instant. */
export function exchangeDate(ms: number): string {
  return DateTime.fromMillis(ms, { zone: EXCHANGE_TZ }).toISODate()!;
}

/** The most recent session that has fully closed at `nowMs` (default: now). */
export function lastCompletedSession(nowMs: number = Date.now()): SessionInfo {
  let n = dayNumber(exchangeDate(nowMs));
  for (let i = 0; i < 30; i++, n--) {
    const s = sessionOfNum(n, formatDay(n));
    if (s && sessionCloseMs(s) <= nowMs) return s;
  }
  throw new DataError(`no completed session found before ${new Date(nowMs).toISOString()}`);
}
