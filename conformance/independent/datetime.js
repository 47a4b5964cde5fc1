'use strict';
// Instants as BigInt microseconds since 1970-01-01T00:00:00Z: years 1 to 9999 need more
// than a double's 53 bits at microsecond precision (RES-8).

const MICROS_PER_SECOND = 1000000n;
const MIN_INSTANT = instantOf(1, 1, 1, 0, 0, 0, 0n);
const MAX_INSTANT = instantOf(9999, 12, 31, 23, 59, 59, 999999n);

// RFC 3339 §5.6 date-time: any offset, any number of fraction digits, T/Z in either case.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
// The original tutorial's form, read as UTC (VAL-13).
const TUTORIAL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function instantOf(year, month, day, hour, minute, second, micros) {
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return BigInt(seconds) * MICROS_PER_SECOND + micros;
}

function daysInMonth(year, month) {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function validFields(year, month, day, hour, minute, second) {
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour <= 23 && minute <= 59 && second <= 59
  );
}

// Digits past the sixth are dropped (RES-8 allows rounding or dropping).
function microsOf(fraction) {
  return BigInt((fraction ?? '').slice(0, 6).padEnd(6, '0'));
}

// The instant a created_at string denotes, or null when VAL-12..15 refuse it.
// A leap second (second 60) is refused: v1 leaves it open, and our OpenAPI says so.
function parseCreatedAt(text) {
  let instant;
  let m = RFC3339.exec(text);
  if (m) {
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
    if (!validFields(year, month, day, hour, minute, second)) return null;
    instant = instantOf(year, month, day, hour, minute, second, microsOf(m[7]));
    if (!m[8]) {
      const offsetHours = Number(m[10]);
      const offsetMinutes = Number(m[11]);
      if (offsetHours > 23 || offsetMinutes > 59) return null;
      const offset = BigInt((offsetHours * 60 + offsetMinutes) * 60) * MICROS_PER_SECOND;
      instant = m[9] === '+' ? instant - offset : instant + offset;
    }
  } else {
    m = TUTORIAL.exec(text);
    if (!m) return null;
    const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
    const second = Number(m[6] ?? '0');
    if (!validFields(year, month, day, hour, minute, second)) return null;
    instant = instantOf(year, month, day, hour, minute, second, microsOf(m[7]));
  }
  if (instant < MIN_INSTANT || instant > MAX_INSTANT) return null;
  return instant;
}

const pad = (n, width) => String(n).padStart(width, '0');

// RES-6, RES-7: `YYYY-MM-DDTHH:MM:SSZ`, or with six fraction digits when there is a
// fraction (with `trimFraction`, trailing zeros dropped: 1 to 6 digits).
function formatInstant(instant, trimFraction = false) {
  let seconds = instant / MICROS_PER_SECOND;
  let micros = instant % MICROS_PER_SECOND;
  if (micros < 0n) {
    micros += MICROS_PER_SECOND;
    seconds -= 1n;
  }
  const s = Number(seconds);
  const days = Math.floor(s / 86400);
  const rest = s - days * 86400;
  const [year, month, day] = civilFromDays(days);
  const time = `${pad(Math.floor(rest / 3600), 2)}:${pad(Math.floor(rest / 60) % 60, 2)}:${pad(rest % 60, 2)}`;
  let fraction = micros === 0n ? '' : `.${pad(micros, 6)}`;
  if (trimFraction) fraction = fraction.replace(/0+$/, '');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${fraction}Z`;
}

// The server's clock, to the microsecond, never going back within this process.
function makeClock() {
  let last = 0n;
  return () => {
    const nowMicros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    last = nowMicros > last ? nowMicros : last + 1n;
    return last;
  };
}

module.exports = { parseCreatedAt, formatInstant, makeClock };
