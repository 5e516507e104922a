import { describe, expect, it } from 'vitest';
import {
  closedReason,
  earlyClose,
  easter,
  formatDay,
  isTradingDay,
  lastCompletedSession,
  sessionFor,
  sessionsBetween,
  sessionsEnding,
} from '../../src/data/calendar.js';
import { DataError } from '../../src/data/provider.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('calendar: holidays', () => {
  it.each([
    ['2024-01-01', "New Year's Day"],
    ['2023-01-02', "New Year's Day (observed)"],
    ['2024-01-15', 'Martin Luther King Jr. Day'],
    ['2024-02-19', "Washington's Birthday"],
    ['2024-03-29', 'Good Friday'],
    ['2025-04-18', 'Good Friday'],
    ['2000-04-21', 'Good Friday'],
    ['2024-05-27', 'Memorial Day'],
    ['2022-06-20', 'Juneteenth'],
    ['2023-06-19', 'Juneteenth'],
    ['2027-06-18', 'Juneteenth'],
    ['2024-07-04', 'Independence Day'],
    ['2020-07-03', 'Independence Day'],
    ['2021-07-05', 'Independence Day'],
    ['2026-07-03', 'Independence Day'],
    ['2024-09-02', 'Labor Day'],
    ['2024-11-28', 'Thanksgiving Day'],
    ['2024-12-25', 'Christmas Day'],
    ['2021-12-24', 'Christmas Day'],
    ['2022-12-26', 'Christmas Day'],
    ['2001-09-11', 'September 11 attacks'],
    ['2001-09-14', 'September 11 attacks'],
    ['2004-06-11', 'National Day of Mourning (Ronald Reagan)'],
    ['2007-01-02', 'National Day of Mourning (Gerald Ford)'],
    ['2012-10-29', 'Hurricane Sandy'],
    ['2012-10-30', 'Hurricane Sandy'],
    ['2018-12-05', 'National Day of Mourning (George H. W. Bush)'],
    ['2025-01-09', 'National Day of Mourning (Jimmy Carter)'],
  ])('%s is closed (%s)', (date, reason) => {
    expect(isTradingDay(date)).toBe(false);
    expect(sessionFor(date)).toBeNull();
    expect(closedReason(date)).toBe(reason);
  });

  it.each([
    '2021-12-31', // New Year 2022 on a Saturday is not observed on Friday Dec 31
    '2010-12-31',
    '2021-06-18', // Juneteenth only from 2022
    '2001-09-17',
    '2024-03-28',
    '2024-04-01',
    '2012-10-31',
    '2025-01-10',
  ])('%s is a trading day', (date) => {
    expect(isTradingDay(date)).toBe(true);
    expect(closedReason(date)).toBeNull();
  });

  it('weekends are closed', () => {
    expect(closedReason('2024-06-01')).toBe('Saturday');
    expect(closedReason('2024-06-02')).toBe('Sunday');
  });

  it('computes Easter (Gregorian computus)', () => {
    expect(formatDay(easter(2024))).toBe('2024-03-31');
    expect(formatDay(easter(2025))).toBe('2025-04-20');
    expect(formatDay(easter(2019))).toBe('2019-04-21');
    expect(formatDay(easter(2038))).toBe('2038-04-25');
    expect(formatDay(easter(2008))).toBe('2008-03-23');
  });

  it('has the known number of sessions per year', () => {
    const count = (y: number) => sessionsBetween(`${y}-01-01`, `${y}-12-31`).length;
    expect(count(2024)).toBe(252);
    expect(count(2023)).toBe(250);
    expect(count(2022)).toBe(251);
    expect(count(2021)).toBe(252);
    expect(count(2020)).toBe(253);
    expect(count(2019)).toBe(252);
  });
});

describe('calendar: early closes', () => {
  it.each([
    '2024-11-29', // day after Thanksgiving
    '2024-12-24', // Christmas Eve, Tuesday
    '2018-12-24', // Monday
    '2025-12-24', // Wednesday
    '2024-07-03', // Wednesday July 3, from 2013
    '2013-07-03',
    '2025-07-03', // Thursday
    '2008-07-03', // Thursday
    '2007-07-03', // Tuesday
    '2002-07-05', // Friday after a Thursday July 4, before 2013
    '2003-12-26', // ad hoc
    '2026-11-27',
  ])('%s closes at 13:00 (210 bars)', (date) => {
    expect(earlyClose(date)).toBe(true);
    const s = sessionFor(date)!;
    expect(s.bars).toBe(210);
  });

  it.each([
    '2002-07-03', // Wednesday before 2013: full day
    '2013-07-05',
    '2020-07-02', // July 3 is the holiday: July 2 is a full day
    '2026-07-02',
    '2008-12-26',
    '2023-12-22', // Christmas Eve on a Sunday: nothing early
    '2024-12-31',
    '2024-12-26',
  ])('%s is a full day', (date) => {
    expect(earlyClose(date)).toBe(false);
    expect(sessionFor(date)!.bars).toBe(390);
  });

  it('Christmas Eve on a Friday is the observed holiday, not a half day', () => {
    expect(earlyClose('2021-12-24')).toBe(false);
    expect(isTradingDay('2021-12-24')).toBe(false);
  });
});

describe('calendar: daylight saving', () => {
  it('open is 14:30Z in winter and 13:30Z in summer (March switch)', () => {
    expect(iso(sessionFor('2024-03-08')!.openMs)).toBe('2024-03-08T14:30:00.000Z');
    expect(iso(sessionFor('2024-03-11')!.openMs)).toBe('2024-03-11T13:30:00.000Z');
    const a = sessionFor('2024-03-08')!.openMs;
    const b = sessionFor('2024-03-11')!.openMs;
    expect(b - a).toBe(3 * 86_400_000 - 3_600_000);
  });
  it('November switch', () => {
    expect(iso(sessionFor('2024-11-01')!.openMs)).toBe('2024-11-01T13:30:00.000Z');
    expect(iso(sessionFor('2024-11-04')!.openMs)).toBe('2024-11-04T14:30:00.000Z');
  });
  it('uses the pre-2007 US rules (first Sunday of April)', () => {
    expect(iso(sessionFor('2006-03-31')!.openMs)).toBe('2006-03-31T14:30:00.000Z');
    expect(iso(sessionFor('2006-04-03')!.openMs)).toBe('2006-04-03T13:30:00.000Z');
  });
});

describe('calendar: ranges', () => {
  it('sessionsEnding returns the last N sessions oldest first, skipping holidays', () => {
    const s = sessionsEnding('2024-04-01', 3);
    expect(s.map((x) => x.date)).toEqual(['2024-03-27', '2024-03-28', '2024-04-01']);
    expect(s.map((x) => x.start)).toEqual([0, 390, 780]);
  });
  it('sessionsEnding accepts a non-trading end date', () => {
    const s = sessionsEnding('2024-03-31', 2);
    expect(s.map((x) => x.date)).toEqual(['2024-03-27', '2024-03-28']);
  });
  it('matches the real sample: long/SPY has 40 sessions 2024-03-22 … 2024-05-17', () => {
    expect(sessionsBetween('2024-03-22', '2024-05-17')).toHaveLength(40);
  });
  it('a range without sessions is a DataError naming the reason', () => {
    expect(() => sessionsBetween('2024-12-25', '2024-12-25')).toThrow(DataError);
    expect(() => sessionsBetween('2024-12-25', '2024-12-25')).toThrow(/Christmas Day/);
    expect(() => sessionsBetween('2024-06-01', '2024-06-02')).toThrow(/no NYSE sessions/);
    expect(() => sessionsBetween('2024-06-05', '2024-06-01')).toThrow(/reversed/);
  });
  it('rejects malformed dates and bad day counts', () => {
    expect(() => sessionFor('2024-02-30')).toThrow(DataError);
    expect(() => sessionFor('24-1-1')).toThrow(/YYYY-MM-DD/);
    expect(() => sessionsEnding('2024-04-01', 0)).toThrow(DataError);
    expect(() => sessionsEnding('1999-06-01', 2)).toThrow(/outside/);
  });
  it('lastCompletedSession waits for the close', () => {
    expect(lastCompletedSession(Date.parse('2024-07-03T16:59:00Z')).date).toBe('2024-07-02');
    expect(lastCompletedSession(Date.parse('2024-07-03T17:00:00Z')).date).toBe('2024-07-03');
    expect(lastCompletedSession(Date.parse('2024-07-06T12:00:00Z')).date).toBe('2024-07-05');
    expect(sessionFor('2024-07-03')!.bars).toBe(210); // 13:00 ET = 17:00Z
  });
});
