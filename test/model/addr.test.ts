import { describe, expect, it } from 'vitest';
import { cidrContains, formatAddr, parseAddr, parseCidr } from '../../src/model/addr.js';

describe('addresses', () => {
  it.each([
    ['10.0.0.1', 4, 0x0a000001n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['2001:db8::10', 6, 0x20010db8000000000000000000000010n],
    ['fd00:ec2::254', 6, 0xfd000ec2000000000000000000000254n],
    ['::ffff:10.0.0.1', 6, 0xffff0a000001n],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
  ])('parses %s', (s, v, n) => {
    expect(parseAddr(s)).toEqual({ v, n });
  });

  it.each([
    '10.0.0',
    '10.0.0.256',
    '010.0.0.1',
    '1.2.3.4.5',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    'fe80::1%eth0',
    '12345::',
    '',
    'x',
  ])('refuses %s', (s) => {
    expect(parseAddr(s)).toBeNull();
  });

  it('formats IPv6 per RFC 5952 and round-trips', () => {
    for (const s of ['2001:db8::10', '::', '::1', '1::', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1']) {
      expect(formatAddr(parseAddr(s)!)).toBe(s);
    }
    expect(formatAddr(parseAddr('2001:0db8:0000:0000:0000:0000:0000:0010')!)).toBe('2001:db8::10');
  });

  it('CIDR containment is per family and per prefix', () => {
    const c = parseCidr('10.1.0.0/16');
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(cidrContains(c.cidr, parseAddr('10.1.255.255')!)).toBe(true);
    expect(cidrContains(c.cidr, parseAddr('10.2.0.0')!)).toBe(false);
    const all6 = parseCidr('::/0');
    expect(all6.ok && cidrContains(all6.cidr, parseAddr('2001:db8::1')!)).toBe(true);
    expect(all6.ok && cidrContains(all6.cidr, parseAddr('10.0.0.1')!)).toBe(false);
    const bare = parseCidr('10.0.0.5', true);
    expect(bare.ok && bare.cidr.len).toBe(32);
  });
});
