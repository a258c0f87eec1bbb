// The WASM engine's memory follows the number of concurrent flows, not the trace length.
import { describe, expect, it } from 'vitest';
import { WasmEngine } from '../../src/engine/wasm.js';
import { KIND } from '../../src/trace/batch.js';
import { resolve } from '../helpers.js';

describe('bounded memory', () => {
  it('10x more packets of a churning workload with 5000 concurrent flows does not grow memory', () => {
    const cfg = resolve({
      securityGroups: [
        {
          GroupId: 'sg',
          IpPermissions: [],
          IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        },
      ],
      instances: [
        { id: 'scanner', addresses: ['10.0.0.1'], securityGroups: ['sg'], conntrack: { tcpSynSentTimeout: 5 } },
      ],
    });
    const e = new WasmEngine(cfg, { batchCapacity: 1024, seed: 7n });
    // An outbound SYN sweep: 1000 new flows per second of trace, each alive 5 s (syn-sent): 5000 alive at once.
    let k = 0;
    const runPackets = (n: number) => {
      for (let done = 0; done < n; done += 1024) {
        const b = e.batch();
        for (let i = 0; i < 1024; i++, k++) {
          b.ts[i] = BigInt(k) * 1_000_000n; // 1 ms apart
          b.kind[i] = KIND.IPV4;
          b.src[4 * i] = 0x0a000001;
          b.dst[4 * i] = 0x0b000000 + k; // a new destination every packet
          b.proto[i] = 6;
          b.sport[i] = 61000;
          b.dport[i] = 443;
          b.tcpFlags[i] = 0x02;
        }
        e.process(1024);
      }
    };
    runPackets(100 * 1024);
    const after100 = e.tableStats();
    runPackets(900 * 1024);
    const after1000 = e.tableStats();
    expect(after100.entries4).toBe(5000);
    expect(after1000.entries4).toBe(5000);
    expect(after1000.timerNodes).toBeLessThanOrEqual(after100.timerNodes * 1.1);
    expect(after1000.memoryBytes).toBeLessThanOrEqual(after100.memoryBytes * 1.1);
    expect(e.counters().instances[0]!.peakTracked).toBe(5000);
  });
});
