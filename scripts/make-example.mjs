#!/usr/bin/env node
// Writes traces/example.jsonl, the bundled example trace (deterministic).
// Usage: node scripts/make-example.mjs > traces/example.jsonl
let seed = 0x2545f491;
const rnd = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
};
const pick = (n) => Math.floor(rnd() * n);
const pkts = [];
const add = (p) => pkts.push(p);
const WEB4 = '10.0.1.10',
  WEB6 = '2001:db8:1::10',
  SCAN = '10.0.2.20';

// Web clients: short HTTP/HTTPS exchanges over IPv4 and IPv6 (untracked).
for (let i = 0; i < 400; i++) {
  const v6 = i % 5 === 0;
  const client = v6 ? `2001:db8:ffff::${(i + 1).toString(16)}` : `198.51.${100 + (i % 3)}.${1 + (i % 250)}`;
  const server = v6 ? WEB6 : WEB4;
  const port = i % 2 ? 443 : 80;
  const sport = 20000 + i;
  let t = i * 0.75 + rnd() * 0.5;
  const seq = [
    ['S', 'c'],
    ['SA', 's'],
    ['A', 'c'],
    ['PA', 'c'],
    ['PA', 's'],
    ['FA', 'c'],
    ['FA', 's'],
    ['A', 'c'],
  ];
  for (const [flags, who] of seq) {
    t += 0.001 + rnd() * 0.02;
    const c2s = who === 'c';
    add({
      t,
      src: c2s ? client : server,
      dst: c2s ? server : client,
      proto: 'tcp',
      sport: c2s ? sport : port,
      dport: c2s ? port : sport,
      flags,
      len: flags.includes('P') ? 600 : 60,
    });
  }
}
// An SSH session from the office (tracked), alive across the revoke at 120 s.
for (let k = 0; k < 60; k++) {
  const t = 10 + k * 4;
  const flags = k === 0 ? 'S' : 'PA';
  add({ t, src: '203.0.113.5', dst: WEB4, proto: 'tcp', sport: 50022, dport: 22, flags, len: 120 });
  add({
    t: t + 0.002,
    src: WEB4,
    dst: '203.0.113.5',
    proto: 'tcp',
    sport: 22,
    dport: 50022,
    flags: k === 0 ? 'SA' : 'PA',
    len: 200,
  });
}
// A second SSH session after the revoke: denied.
add({ t: 150, src: '203.0.113.9', dst: WEB4, proto: 'tcp', sport: 50100, dport: 22, flags: 'S', len: 60 });
// A port probe the rules do not allow.
for (let k = 0; k < 20; k++)
  add({ t: 30 + k, src: '192.0.2.66', dst: WEB4, proto: 'tcp', sport: 40000 + k, dport: 3389, flags: 'S', len: 60 });
// Ping (ICMP is always tracked).
for (let k = 0; k < 10; k++) {
  add({ t: 50 + k, src: '198.51.100.200', dst: WEB4, proto: 'icmp', icmpType: 8, icmpCode: 0, icmpId: 77, len: 84 });
  add({
    t: 50 + k + 0.001,
    src: WEB4,
    dst: '198.51.100.200',
    proto: 'icmp',
    icmpType: 0,
    icmpCode: 0,
    icmpId: 77,
    len: 84,
  });
}
// Link-local services: metadata and the VPC resolver (bypass, S20).
for (let k = 0; k < 40; k++) {
  const t = 5 + k * 7;
  add({ t, src: WEB4, dst: '169.254.169.254', proto: 'tcp', sport: 33000 + k, dport: 80, flags: 'S', len: 60 });
  add({
    t: t + 0.0005,
    src: '169.254.169.254',
    dst: WEB4,
    proto: 'tcp',
    sport: 80,
    dport: 33000 + k,
    flags: 'SA',
    len: 60,
  });
  add({ t: t + 0.001, src: WEB4, dst: '10.0.0.2', proto: 'udp', sport: 34000 + k, dport: 53, len: 70 });
  add({ t: t + 0.002, src: '10.0.0.2', dst: WEB4, proto: 'udp', sport: 53, dport: 34000 + k, len: 120 });
}
// The scanner: an outbound SYN sweep on tcp/443, a few replies (S10.6 binds at 200).
for (let k = 0; k < 1200; k++) {
  const t = 20 + k * 0.1;
  const dst = `${11 + pick(200)}.${pick(256)}.${pick(256)}.${1 + pick(254)}`;
  add({ t, src: SCAN, dst, proto: 'tcp', sport: 61000, dport: 443, flags: 'S', len: 60 });
  if (k % 10 === 0)
    add({ t: t + 0.03, src: dst, dst: SCAN, proto: 'tcp', sport: 443, dport: 61000, flags: 'SA', len: 60 });
}
// The scanner also probes web-1 (seen at two interfaces, S4).
add({ t: 60, src: SCAN, dst: WEB4, proto: 'tcp', sport: 61000, dport: 443, flags: 'S', len: 60 });
// Traffic of other hosts (foreign), and a packet out of order (S21).
add({ t: 70, src: '10.0.9.1', dst: '10.0.9.2', proto: 'udp', sport: 1, dport: 2, len: 40 });

pkts.sort((a, b) => a.t - b.t);
const lines = pkts.map((p) => JSON.stringify({ ...p, t: Number(p.t.toFixed(6)) }));
// One packet captured late (timestamp earlier than its neighbours) and one undecodable line.
lines.splice(
  1000,
  0,
  JSON.stringify({ t: 1, src: '198.51.100.9', dst: WEB4, proto: 'tcp', sport: 1234, dport: 80, flags: 'S', len: 60 }),
);
const tNear = JSON.parse(lines[1999]).t;
lines.splice(2000, 0, `{"t": ${tNear}, "src": "10.0.1.10", "dst": "198.51.100.1", "proto": "tcp", "sport": 80}`);
process.stdout.write(lines.join('\n') + '\n');
