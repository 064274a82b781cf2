import { describe, expect, it } from 'vitest';
import { currencyExponent, decimalToMinor, fractionToMinor, minorToDecimal } from '../../src/money.ts';
import { BadPayloadError } from '../../src/errors.ts';

describe('money', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
  ])('knows the minor-unit exponent of %s', (code, exp) => expect(currencyExponent(code)).toBe(exp));

  it.each([
    ['12.34', 'USD', 1234],
    ['0.10', 'EUR', 10],
    ['0.1', 'EUR', 10],
    ['1500', 'JPY', 1500],
    ['1500.00', 'JPY', 1500],
    ['-3.5', 'USD', -350],
    ['19.999', 'KWD', 19999],
    ['0.29', 'USD', 29], // 0.29 * 100 is 28.999999999999996 in floating point
    ['1.005', 'KWD', 1005],
    ['90071992547409.91', 'USD', 9007199254740991],
  ])('decimal %s %s is %i minor units', (amount, currency, minor) => expect(decimalToMinor(amount, currency)).toBe(minor));

  it('refuses amounts it cannot convert exactly, naming the field', () => {
    expect(() => decimalToMinor('12.345', 'USD', 'OrderTotal.Amount')).toThrow(BadPayloadError);
    expect(() => decimalToMinor('12.345', 'USD', 'OrderTotal.Amount')).toThrow(/OrderTotal.Amount.*more decimals/);
    expect(() => decimalToMinor('1.5', 'JPY')).toThrow(/more decimals/);
    expect(() => decimalToMinor('12,34', 'EUR')).toThrow(/not a decimal/);
    expect(() => decimalToMinor('', 'EUR')).toThrow(/not a decimal/);
    expect(() => decimalToMinor('1', 'DOLLARS')).toThrow(/ISO 4217/);
  });

  it.each([
    [1234, 100, 'USD', 1234],
    [12340, 1000, 'USD', 1234],
    [12345, 1000, 'USD', 1235], // a fraction of a cent rounds half away from zero
    [-12345, 1000, 'USD', -1235],
    [1500, 1, 'JPY', 1500],
    [150000, 100, 'JPY', 1500],
    [999, 100, 'GBP', 999],
  ])('fraction %i / %i %s is %i minor units', (amount, divisor, currency, minor) =>
    expect(fractionToMinor(amount, divisor, currency)).toBe(minor),
  );

  it('refuses a zero divisor or a fractional amount', () => {
    expect(() => fractionToMinor(100, 0, 'USD', 'price')).toThrow(/price: divisor/);
    expect(() => fractionToMinor(1.5, 100, 'USD', 'price')).toThrow(/price: amount/);
  });

  it('formats minor units back to decimals', () => {
    expect(minorToDecimal(1234, 'USD')).toBe('12.34');
    expect(minorToDecimal(5, 'USD')).toBe('0.05');
    expect(minorToDecimal(-5, 'EUR')).toBe('-0.05');
    expect(minorToDecimal(1500, 'JPY')).toBe('1500');
  });
});
