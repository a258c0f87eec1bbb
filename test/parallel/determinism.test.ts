// S21 / S17 / issue 5: the same digest and counters for any number of workers, allowance binding or not.
// Random cases of the differential generator (ICMP errors quoting flows on other shards, fragments,
// link-local bursts, events, IPv4 and IPv6, small allowances that bind), replayed by 2, 3 and 4 workers
// in small rounds (many rounds, many barrier rows) against one engine: first with the allowances
// removed (every row decided in parallel), then with them (rows where one may bind decided serially).
import { describe, expect, it } from 'vitest';
import { runParallel } from '../../src/parallel/coordinator.js';
import { runTrace } from '../../src/replay/run.js';
import { decodeJsonPacket } from '../../src/trace/json-packet.js';
import { PacketListReader } from '../../src/trace/jsonl.js';
import { generateCase } from '../differential/generate.js';
import { resolve } from '../helpers.js';

function unlimited(config: Record<string, unknown>) {
  const c = structuredClone(config);
  for (const i of c['instances'] as Array<Record<string, unknown>>) delete i['allowance'];
  return c;
}

describe('parallel replay is deterministic', () => {
  it('seeds 1–30: workers 2, 3, 4 give the one-engine digest, counters and exact peak', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = generateCase(seed, 4000);
      const cfg = resolve(unlimited(c.config));
      const one = await runTrace(cfg, new PacketListReader(c.packets), { engine: 'wasm' });
      for (const workers of [2, 3, 4]) {
        const p = await runParallel(cfg, new PacketListReader(c.packets), { workers, roundRows: 256 });
        const where = `seed ${seed}, ${workers} workers`;
        expect(p.digest, where).toBe(one.digest);
        expect(p.counters, where).toEqual(one.counters);
        expect(p.trace, where).toEqual(one.trace);
        expect(p.serialRows, where).toBe(0);
      }
    }
  }, 300_000);

  it('seeds 31–60 with allowances that bind: workers 2, 3, 4 give the one-engine digest, drops and peak', async () => {
    let drops = 0;
    let serial = 0;
    let parallel = 0;
    for (let seed = 31; seed <= 60; seed++) {
      const c = generateCase(seed, 4000);
      const cfg = resolve(c.config);
      const one = await runTrace(cfg, new PacketListReader(c.packets), { engine: 'wasm' });
      drops += one.counters.instances.reduce((a, i) => a + i.conntrackAllowanceExceeded, 0);
      for (const workers of [2, 3, 4]) {
        const p = await runParallel(cfg, new PacketListReader(c.packets), { workers, roundRows: 256 });
        const where = `seed ${seed}, ${workers} workers`;
        expect(p.digest, where).toBe(one.digest);
        expect(p.counters, where).toEqual(one.counters);
        serial += p.serialRows;
        parallel += p.trace.packets - p.serialRows;
      }
    }
    // The cases exercise both paths, and the allowance does bind.
    expect(drops).toBeGreaterThan(100);
    expect(serial).toBeGreaterThan(10_000);
    expect(parallel).toBeGreaterThan(10_000);
  }, 300_000);

  it('link-local traffic of many flows shares the 1024 packets/s of its interface (S20) whatever the worker', async () => {
    const cfg = resolve({
      securityGroups: [{ GroupId: 'sg', IpPermissions: [], IpPermissionsEgress: [] }],
      instances: [
        {
          id: 'a',
          interfaces: [
            { id: 'e0', addresses: ['10.0.0.1'], securityGroups: ['sg'] },
            { id: 'e1', addresses: ['10.0.0.2'], securityGroups: ['sg'] },
          ],
        },
      ],
    });
    const packets = Array.from({ length: 6000 }, (_, k) =>
      decodeJsonPacket({
        t: k / 4000,
        src: k % 3 ? '10.0.0.1' : '10.0.0.2',
        dst: k % 2 ? '169.254.169.254' : '169.254.169.123',
        proto: 'udp',
        sport: 1024 + (k % 5000),
        dport: 123,
      }),
    );
    const one = await runTrace(cfg, new PacketListReader(packets), { engine: 'wasm' });
    expect(one.counters.verdicts[8]).toBeGreaterThan(0); // drop-linklocal: the limit binds
    for (const workers of [2, 4]) {
      const p = await runParallel(cfg, new PacketListReader(packets), { workers, roundRows: 512 });
      expect(p.digest).toBe(one.digest);
      expect(p.counters).toEqual(one.counters);
    }
  });
});
