// Issue 6: `explain` says which flows are tracked and why, clause by clause (S9), and what rule change
// would make them untracked, with its cost.
import { describe, expect, it } from 'vitest';
import { runExplain, type ExplainReport } from '../../src/explain/explain.js';
import { renderExplainMarkdown, renderExplainText } from '../../src/explain/render.js';
import { decodeJsonPacket } from '../../src/trace/json-packet.js';
import { PacketListReader } from '../../src/trace/jsonl.js';
import { group, perm, resolve, type Json } from '../helpers.js';

/** The worked example of S9: ingress tcp/22 from 203.0.113.1/32, tcp/80 from anywhere, icmp; egress all. */
function s9Example(egress: Json[]): Json {
  return {
    securityGroups: [
      group(
        'sg-1',
        [
          perm('tcp', 22, 22, '203.0.113.1/32'),
          perm('tcp', 80, 80, '0.0.0.0/0', '::/0'),
          perm('icmp', -1, -1, '0.0.0.0/0'),
        ],
        egress,
      ),
    ],
    instances: [{ id: 'web-1', addresses: ['10.0.0.10', '2001:db8::10'], securityGroups: ['sg-1'] }],
  };
}
const EGRESS_ALL_BOTH = [perm('-1', undefined, undefined, '0.0.0.0/0', '::/0')];
const EGRESS_ALL_V6 = [perm('-1', undefined, undefined, '::/0')];

const trace = [
  // SSH from the /32, a handshake.
  { t: 0, src: '203.0.113.1', dst: '10.0.0.10', proto: 'tcp', sport: 50000, dport: 22, flags: 'S' },
  { t: 0.01, src: '10.0.0.10', dst: '203.0.113.1', proto: 'tcp', sport: 22, dport: 50000, flags: 'SA' },
  { t: 0.02, src: '203.0.113.1', dst: '10.0.0.10', proto: 'tcp', sport: 50000, dport: 22, flags: 'A' },
  // HTTP from two IPv4 clients and one IPv6 client.
  { t: 1, src: '198.51.100.7', dst: '10.0.0.10', proto: 'tcp', sport: 40001, dport: 80, flags: 'S' },
  { t: 1.1, src: '198.51.100.8', dst: '10.0.0.10', proto: 'tcp', sport: 40002, dport: 80, flags: 'S' },
  { t: 1.2, src: '2001:db8:ffff::7', dst: '2001:db8::10', proto: 'tcp', sport: 40003, dport: 80, flags: 'S' },
  // A ping, and SSH from elsewhere (denied).
  { t: 2, src: '198.51.100.9', dst: '10.0.0.10', proto: 'icmp', icmpType: 8, icmpCode: 0, icmpId: 7 },
  { t: 3, src: '192.0.2.66', dst: '10.0.0.10', proto: 'tcp', sport: 40100, dport: 22, flags: 'S' },
].map((p) => decodeJsonPacket(p));

async function explain(cfg: Json): Promise<ExplainReport> {
  return runExplain(resolve(cfg), new PacketListReader(trace));
}

const find = (r: ExplainReport, protocol: string, port: number) =>
  r.groups.find((g) => g.protocol === protocol && g.port === port && g.direction === 'inbound')!;

describe('explain, on the worked example of S9', () => {
  it('SSH is tracked because its ingress rule is limited to the /32; HTTP is untracked (reading A); ICMP always tracked', async () => {
    const r = await explain(s9Example(EGRESS_ALL_BOTH));
    expect(r.schema).toBe('ctreplay/explain@1');
    const ssh = find(r, 'tcp', 22);
    expect(ssh.classes).toEqual({ tracked: 1, untracked: 0, denied: 1, 'link-local': 0 });
    expect(ssh.verdict).toBe('tracked');
    expect(ssh.reasons.find((x) => x.text.startsWith('tracked'))!.text).toMatch(
      /reading A fails — ingress tcp\/22 is limited to 203\.0\.113\.1\/32; reading B fails — no ingress rule from 0\.0\.0\.0\/0 covers all tcp ports/,
    );
    expect(ssh.reasons.find((x) => x.text.startsWith('denied'))!.text).toMatch(
      /ingress tcp\/22 is limited to 203\.0\.113\.1\/32/,
    );
    // The smallest change is the SSH rule opened to everyone (reading A), and it says what that costs.
    expect(ssh.change!.rules).toEqual(['authorize ingress tcp 22 from 0.0.0.0/0']);
    expect(ssh.change!.tradeOff).toMatch(/anyone on the internet can reach tcp 22/);
    expect(ssh.packets).toBe(4);

    const http = find(r, 'tcp', 80);
    expect(http.flows).toBe(3);
    expect(http.classes.untracked).toBe(3);
    expect(http.verdict).toBe('untracked');
    expect(http.reasons.map((x) => x.text)).toEqual([
      'untracked: ingress tcp/80 is open to 0.0.0.0/0 and egress to 0.0.0.0/0 covers all tcp ports (S9 reading A)',
      'untracked: ingress tcp/80 is open to ::/0 and egress to ::/0 covers all tcp ports (S9 reading A)',
    ]);
    expect(http.change).toBeNull();

    const icmp = find(r, 'icmp', 8);
    expect(icmp.verdict).toBe('tracked');
    expect(icmp.reasons[0]!.text).toBe('icmp is always tracked (S9)');
  });

  it('without the IPv4 egress rule, IPv4 HTTP is tracked — egress no longer covers all ports — and IPv6 HTTP is not', async () => {
    const r = await explain(s9Example(EGRESS_ALL_V6));
    const http = find(r, 'tcp', 80);
    expect(http.classes).toEqual({ tracked: 2, untracked: 1, denied: 0, 'link-local': 0 });
    expect(http.reasons[0]!.text).toMatch(
      /^tracked: reading A fails — no egress rule to 0\.0\.0\.0\/0 covers all tcp ports;/,
    );
    expect(http.change!.rules).toEqual(['authorize egress tcp 0-65535 to 0.0.0.0/0']);
    expect(http.change!.tradeOff).toMatch(/the instance can send tcp to any address and port/);
  });

  it('text and Markdown name the reasons and the change', async () => {
    const r = await explain(s9Example(EGRESS_ALL_BOTH));
    const text = renderExplainText(r);
    expect(text).toMatch(/inbound\s+tcp\/22\s+2 flows\s+4 packets\s+tracked 1, denied 1/);
    expect(text).toMatch(/to make it untracked: authorize ingress tcp 22 from 0\.0\.0\.0\/0/);
    const md = renderExplainMarkdown(r);
    expect(md).toMatch(/^\| web-1 \| inbound \| tcp\/80 \| 3 \| 3 \| untracked \|/m);
  });

  it('outbound flows with ephemeral local ports: the change covers the range of ports seen', async () => {
    const cfg = {
      securityGroups: [group('sg-s', [], [perm('-1', undefined, undefined, '0.0.0.0/0')])],
      instances: [{ id: 'scanner', addresses: ['10.0.0.5'], securityGroups: ['sg-s'] }],
    };
    const packets = [30000, 30500, 31000].map((sport, k) =>
      decodeJsonPacket({
        t: k,
        src: '10.0.0.5',
        dst: `198.51.100.${k + 1}`,
        proto: 'tcp',
        sport,
        dport: 443,
        flags: 'S',
      }),
    );
    const r = await runExplain(resolve(cfg), new PacketListReader(packets));
    const g = r.groups[0]!;
    expect(g.direction).toBe('outbound');
    expect(g.port).toBe(443);
    expect(g.change!.rules).toEqual(['authorize ingress tcp 30000-31000 from 0.0.0.0/0']);
  });
});
