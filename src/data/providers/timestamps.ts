/**
 * Timestamps of the folder provider: parsing text or numbers into epoch ms, and checking that
 * one file sticks to one form (naive, or absolute with offsets one time zone explains).
 */
import { DateTime } from 'luxon';
import { DataError } from '../provider.js';
import { EXCHANGE_TZ } from '../calendar.js';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const NUM_RE = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
/** A luxon-only shape that still carries a zone (offset, Z or a bracketed zone name). */
const HAS_ZONE_RE = /(?:Z|[+-]\d{2}(?::?\d{2})?|\[[^\]]+\])$/i;

/** How a timestamp was written: the forms a file must not mix (see TimestampForms). */
export const TsForm = {
  /** Wall-clock time without an offset, read in `timezone`. */
  Naive: 0,
  /** ISO with `Z` or an offset. */
  Offset: 1,
  /** Epoch seconds or milliseconds. */
  Epoch: 2,
} as const;
export type TsForm = (typeof TsForm)[keyof typeof TsForm];

/** Parses timestamps into epoch ms; `NaN` when unparseable. After parse(), `form`/`offsetMin` describe the input. */
export class TimestampParser {
  private offsets = new Map<number, number>();
  /** The IANA zone naive times are read in; null for UTC. */
  readonly zone: string | null;
  form: TsForm = TsForm.Naive as TsForm;
  /** The explicit offset of the last `Offset` timestamp, minutes east of UTC. */
  offsetMin = 0;

  constructor(
    timezone: string,
    private readonly epochUnit: 'auto' | 's' | 'ms',
  ) {
    const z = timezone === 'exchange' ? EXCHANGE_TZ : timezone;
    if (z.toUpperCase() === 'UTC' || z === 'Z' || z === 'Etc/UTC') this.zone = null;
    else {
      if (!DateTime.now().setZone(z).isValid) {
        throw new DataError(`data.folder.timezone "${timezone}" is not a known time zone`, 'use UTC, exchange, or an IANA name such as America/New_York');
      }
      this.zone = z;
    }
  }

  /** Offset (minutes) of the zone on a local date, taken at noon (sessions never straddle a DST switch). */
  private offsetOn(y: number, mo: number, d: number): number {
    const key = y * 10000 + mo * 100 + d;
    let off = this.offsets.get(key);
    if (off === undefined) {
      off = DateTime.fromObject({ year: y, month: mo, day: d, hour: 12 }, { zone: this.zone! }).offset;
      this.offsets.set(key, off);
    }
    return off;
  }

  fromNumber(x: number): number {
    this.form = TsForm.Epoch;
    if (!Number.isFinite(x)) return NaN;
    const ms = this.epochUnit === 'ms' || (this.epochUnit === 'auto' && Math.abs(x) >= 1e11) ? x : x * 1000;
    return Math.round(ms);
  }

  parse(s: string): number {
    const m = ISO_RE.exec(s);
    if (m) {
      const y = +m[1];
      const mo = +m[2];
      const d = +m[3];
      const frac = m[7] ? Math.round(+`0.${m[7]}` * 1000) : 0;
      let ms = Date.UTC(y, mo - 1, d, +m[4], +m[5], m[6] ? +m[6] : 0, frac);
      const tz = m[8];
      if (tz) {
        let off = 0;
        if (tz.toUpperCase() !== 'Z') {
          const sign = tz[0] === '-' ? -1 : 1;
          const digits = tz.slice(1).replace(':', '');
          off = sign * (+digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2) : 0));
          ms -= off * 60_000;
        }
        this.form = TsForm.Offset;
        this.offsetMin = off;
      } else {
        this.form = TsForm.Naive;
        if (this.zone) ms -= this.offsetOn(y, mo, d) * 60_000;
      }
      return Number.isNaN(ms) ? NaN : ms;
    }
    if (NUM_RE.test(s)) return this.fromNumber(Number(s));
    // Last resort: other ISO shapes luxon understands (e.g. with a zone name).
    const dt = DateTime.fromISO(s, { zone: this.zone ?? 'UTC', setZone: true });
    if (!dt.isValid) return NaN;
    if (HAS_ZONE_RE.test(s)) {
      this.form = TsForm.Offset;
      this.offsetMin = dt.offset;
    } else this.form = TsForm.Naive;
    return dt.toMillis();
  }
}

const fmtOffset = (min: number) => {
  const a = Math.abs(min);
  return `${min < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
};

/**
 * One file's timestamp forms. Naive times are read in `timezone`, zoned ones are absolute: a
 * file mixing them places half its bars hours away, so that is an error. Explicit offsets may
 * vary only as one zone's do (−04:00/−05:00 across a DST change of America/New_York): every
 * offset must equal the first, or every offset must be the zone's own at that instant. The zone
 * is `timezone` when it names one, else America/New_York (exchange-time exports).
 */
export class TimestampForms {
  private readonly zone: string;
  private firstNaive = 0;
  private firstNaiveText = '';
  private firstZoned = 0;
  private firstZonedText = '';
  private firstOffsetLine = 0;
  private firstOffset = 0;
  /** First line whose offset differs from the first one (0: none yet). */
  private otherOffsetLine = 0;
  private otherOffset = 0;
  /** First line whose offset is not the zone's at that instant (0: none yet). */
  private zoneMismatchLine = 0;
  private zoneMismatchOffset = 0;
  private zoneMismatchExpected = 0;
  private hourKey = NaN;
  private hourOffset = 0;

  constructor(
    private readonly file: string,
    private readonly timezone: string,
    parserZone: string | null,
  ) {
    this.zone = parserZone ?? EXCHANGE_TZ;
  }

  /** The zone's offset at an instant (cached per UTC hour: DST changes fall on whole hours). */
  private zoneOffsetAt(ms: number): number {
    const h = Math.floor(ms / 3_600_000);
    if (h !== this.hourKey) {
      this.hourKey = h;
      this.hourOffset = DateTime.fromMillis(h * 3_600_000, { zone: this.zone }).offset;
    }
    return this.hourOffset;
  }

  /** Records one parsed timestamp; throws DataError at the first line that breaks the file's form. */
  observe(line: number, text: string, form: TsForm, offsetMin: number, ms: number): void {
    if (form === TsForm.Naive) {
      if (this.firstNaive === 0) {
        this.firstNaive = line;
        this.firstNaiveText = text;
      }
    } else if (this.firstZoned === 0) {
      this.firstZoned = line;
      this.firstZonedText = text;
    }
    if (this.firstNaive && this.firstZoned) this.mixedNaive();
    if (form !== TsForm.Offset) return;
    if (this.firstOffsetLine === 0) {
      this.firstOffsetLine = line;
      this.firstOffset = offsetMin;
    } else if (this.otherOffsetLine === 0 && offsetMin !== this.firstOffset) {
      this.otherOffsetLine = line;
      this.otherOffset = offsetMin;
    }
    if (this.zoneMismatchLine === 0) {
      const expected = this.zoneOffsetAt(ms);
      if (expected !== offsetMin) {
        this.zoneMismatchLine = line;
        this.zoneMismatchOffset = offsetMin;
        this.zoneMismatchExpected = expected;
      }
    }
    if (this.otherOffsetLine && this.zoneMismatchLine) this.mixedOffsets();
  }

  private mixedNaive(): never {
    const naive = `line ${this.firstNaive} "${this.firstNaiveText.slice(0, 40)}"`;
    const zoned = `line ${this.firstZoned} "${this.firstZonedText.slice(0, 40)}"`;
    const [a, b] = this.firstNaive < this.firstZoned ? [`${naive} has no offset`, `${zoned} is absolute (Z, an offset or an epoch number)`] : [`${zoned} is absolute (Z, an offset or an epoch number)`, `${naive} has no offset`];
    throw new DataError(
      `${this.file}: timestamps mix naive and zoned forms: ${a}, ${b}; naive times are read in ${this.timezone}, so the two kinds would land hours apart`,
      'write every timestamp of the file in one form: all with Z or an offset (2024-03-22T09:30:00-04:00), or all naive (2024-03-22 09:30:00, read in data.folder.timezone); re-export or fix the rows',
    );
  }

  private mixedOffsets(): never {
    throw new DataError(
      `${this.file}: timestamps mix UTC offsets that no single time zone explains: line ${this.firstOffsetLine} is ${fmtOffset(this.firstOffset)}, line ${this.otherOffsetLine} is ${fmtOffset(this.otherOffset)}, ` +
        `and line ${this.zoneMismatchLine} is ${fmtOffset(this.zoneMismatchOffset)} where ${this.zone} is ${fmtOffset(this.zoneMismatchExpected)}`,
      `write the file on one offset (e.g. all Z), or on the offsets of one zone; if that zone is not ${this.zone}, set data.folder.timezone to it`,
    );
  }
}
