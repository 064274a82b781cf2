import { BadPayloadError } from './errors.ts';

const exponentCache = new Map<string, number>();

/** ISO 4217 minor-unit exponent (USD 2, JPY 0, KWD 3), from the runtime's ICU data. */
export function currencyExponent(currency: string): number {
  if (typeof currency !== 'string') throw new BadPayloadError('currency', `${JSON.stringify(currency) ?? String(currency)} is not an ISO 4217 code`);
  const code = currency.toUpperCase();
  let exp = exponentCache.get(code);
  if (exp === undefined) {
    if (!/^[A-Z]{3}$/.test(code)) throw new BadPayloadError('currency', `"${currency}" is not an ISO 4217 code`);
    exp = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    exponentCache.set(code, exp);
  }
  return exp;
}

/**
 * A decimal string ("12.34", "-0.5", "1500") to integer minor units, by string arithmetic (never
 * through a float). More decimals than the currency has are accepted only when they are zeros.
 */
export function decimalToMinor(amount: string, currency: string, field = 'amount'): number {
  if (typeof amount !== 'string') throw new BadPayloadError(field, `${JSON.stringify(amount) ?? String(amount)} is not a decimal amount`);
  const m = /^\s*(-?)(\d+)(?:\.(\d+))?\s*$/.exec(amount);
  if (!m) throw new BadPayloadError(field, `"${amount}" is not a decimal amount`);
  const [, sign, whole, frac = ''] = m;
  const exp = currencyExponent(currency);
  if (frac.length > exp && /[^0]/.test(frac.slice(exp))) {
    throw new BadPayloadError(field, `"${amount}" has more decimals than ${currency} allows (${exp})`);
  }
  const digits = whole! + frac.slice(0, exp).padEnd(exp, '0');
  const value = Number(BigInt(digits));
  if (!Number.isSafeInteger(value)) throw new BadPayloadError(field, `"${amount}" is out of range`);
  return sign === '-' ? -value : value;
}

/**
 * An integer amount over a divisor (Etsy's Money: amount 1234, divisor 100) to minor units of the
 * currency, exactly. A remainder (a fraction of a cent) rounds half away from zero, in integers.
 */
export function fractionToMinor(amount: number, divisor: number, currency: string, field = 'amount'): number {
  if (!Number.isSafeInteger(amount)) throw new BadPayloadError(field, `amount ${amount} is not an integer`);
  if (!Number.isSafeInteger(divisor) || divisor <= 0) throw new BadPayloadError(field, `divisor ${divisor} is not a positive integer`);
  const scale = 10n ** BigInt(currencyExponent(currency));
  const num = BigInt(amount) * scale;
  const d = BigInt(divisor);
  let q = num / d;
  const r = num % d;
  if (r !== 0n && (r < 0n ? -r : r) * 2n >= d) q += num < 0n ? -1n : 1n;
  return Number(q);
}

/** Minor units back to a decimal string for the currency ("12.34"). */
export function minorToDecimal(minor: number, currency: string): string {
  const exp = currencyExponent(currency);
  if (exp === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor).toString().padStart(exp + 1, '0');
  return `${sign}${abs.slice(0, -exp)}.${abs.slice(-exp)}`;
}
