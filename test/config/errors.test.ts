// S22: every configuration error stops the run with the file, the field path and the problem.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { InputError } from '../../src/errors.js';
import { EGRESS_ALL, group, instance, perm, resolve, type Json } from '../helpers.js';

/** A valid config; each case below breaks one thing. */
function base(): Json {
  return {
    securityGroups: [
      group('sg-a', [perm('tcp', 22, 22, '203.0.113.0/24'), perm('icmp', -1, -1, '0.0.0.0/0')], EGRESS_ALL),
      group('sg-b', [], EGRESS_ALL),
    ],
    prefixLists: { 'pl-1': ['10.0.0.0/8'] },
    groupMembers: { 'sg-ext': ['192.0.2.1'] },
    instances: [instance('web-1', ['10.0.0.10'], ['sg-a']), instance('web-2', ['10.0.0.11'], ['sg-b'])],
  };
}

type Case = [name: string, mutate: (c: any) => void, path: string, problem: RegExp];

const p0 = 'securityGroups[0].IpPermissions[0]';
const cases: Case[] = [
  [
    'unknown top-level key',
    (c) => (c.instance = []),
    'instance',
    /unknown key "instance" \(did you mean "instances"\?\)/,
  ],
  ['missing securityGroups', (c) => delete c.securityGroups, '', /missing required key "securityGroups"/],
  [
    'securityGroups not a list',
    (c) => (c.securityGroups = 'sg-a'),
    'securityGroups',
    /expected the SecurityGroups array/,
  ],
  [
    'unknown group key',
    (c) => (c.securityGroups[0].IpPermision = []),
    'securityGroups[0].IpPermision',
    /did you mean "IpPermissions"/,
  ],
  [
    'duplicate group id',
    (c) => (c.securityGroups[1].GroupId = 'sg-a'),
    'securityGroups[1].GroupId',
    /duplicate security group id "sg-a"/,
  ],
  ['missing GroupId', (c) => delete c.securityGroups[0].GroupId, 'securityGroups[0]', /missing required key "GroupId"/],
  [
    'unknown protocol',
    (c) => (c.securityGroups[0].IpPermissions[0].IpProtocol = 'tcpp'),
    `${p0}.IpProtocol`,
    /unknown protocol "tcpp"/,
  ],
  [
    'protocol number over 255',
    (c) => (c.securityGroups[0].IpPermissions[0].IpProtocol = '300'),
    `${p0}.IpProtocol`,
    /unknown protocol "300"/,
  ],
  [
    'FromPort > ToPort',
    (c) => Object.assign(c.securityGroups[0].IpPermissions[0], { FromPort: 443, ToPort: 80 }),
    `${p0}.ToPort`,
    /FromPort 443 is greater than ToPort 80/,
  ],
  [
    'port above 65535',
    (c) => (c.securityGroups[0].IpPermissions[0].FromPort = 70000),
    `${p0}.FromPort`,
    /70000 is out of range \(expected a tcp port in 0…65535\)/,
  ],
  [
    'negative tcp port',
    (c) => (c.securityGroups[0].IpPermissions[0].FromPort = -1),
    `${p0}.FromPort`,
    /-1 is out of range/,
  ],
  [
    'port not an integer',
    (c) => (c.securityGroups[0].IpPermissions[0].ToPort = '22'),
    `${p0}.ToPort`,
    /expected a tcp port, got "22"/,
  ],
  [
    'tcp without ports',
    (c) => delete c.securityGroups[0].IpPermissions[0].FromPort,
    p0,
    /missing required key "FromPort" \(tcp rules need a port range\)/,
  ],
  [
    'icmp type above 255',
    (c) => (c.securityGroups[0].IpPermissions[1].FromPort = 256),
    'securityGroups[0].IpPermissions[1].FromPort',
    /256 is out of range/,
  ],
  [
    'icmp code without type',
    (c) => (c.securityGroups[0].IpPermissions[1].ToPort = 3),
    'securityGroups[0].IpPermissions[1].ToPort',
    /code must be -1 when the type is -1/,
  ],
  [
    'bad CIDR prefix',
    (c) => (c.securityGroups[0].IpPermissions[0].IpRanges[0].CidrIp = '10.0.0.0/33'),
    `${p0}.IpRanges[0].CidrIp`,
    /prefix length must be 0…32/,
  ],
  [
    'bad CIDR address',
    (c) => (c.securityGroups[0].IpPermissions[0].IpRanges[0].CidrIp = '10.0.0/8'),
    `${p0}.IpRanges[0].CidrIp`,
    /bad address "10.0.0"/,
  ],
  [
    'CIDR with host bits',
    (c) => (c.securityGroups[0].IpPermissions[0].IpRanges[0].CidrIp = '10.0.0.1/8'),
    `${p0}.IpRanges[0].CidrIp`,
    /host bits set \(did you mean 10.0.0.0\/8\?\)/,
  ],
  [
    'CIDR without prefix',
    (c) => (c.securityGroups[0].IpPermissions[0].IpRanges[0].CidrIp = '10.0.0.1'),
    `${p0}.IpRanges[0].CidrIp`,
    /missing \/prefix length/,
  ],
  [
    'IPv6 block in IpRanges',
    (c) => (c.securityGroups[0].IpPermissions[0].IpRanges[0].CidrIp = '::/0'),
    `${p0}.IpRanges[0].CidrIp`,
    /is an IPv6 block; expected IPv4/,
  ],
  [
    'IPv4 block in Ipv6Ranges',
    (c) => (c.securityGroups[0].IpPermissions[0].Ipv6Ranges = [{ CidrIpv6: '0.0.0.0/0' }]),
    `${p0}.Ipv6Ranges[0].CidrIpv6`,
    /expected IPv6/,
  ],
  [
    'unknown IpRange key',
    (c) => (c.securityGroups[0].IpPermissions[0].IpRanges[0].Cidr = 'x'),
    `${p0}.IpRanges[0].Cidr`,
    /unknown key "Cidr"/,
  ],
  [
    'unknown prefix list',
    (c) => (c.securityGroups[0].IpPermissions[0].PrefixListIds = [{ PrefixListId: 'pl-9' }]),
    `${p0}.PrefixListIds[0].PrefixListId`,
    /unknown prefix list "pl-9"/,
  ],
  [
    'unknown referenced group',
    (c) => (c.securityGroups[0].IpPermissions[0].UserIdGroupPairs = [{ GroupId: 'sg-zzz' }]),
    `${p0}.UserIdGroupPairs[0].GroupId`,
    /unknown security group "sg-zzz"/,
  ],
  ['permission without a peer', (c) => (c.securityGroups[0].IpPermissions[0].IpRanges = []), p0, /has no peer/],
  ['no instances', (c) => (c.instances = []), 'instances', /at least one instance/],
  ['duplicate instance id', (c) => (c.instances[1].id = 'web-1'), 'instances[1].id', /duplicate instance id "web-1"/],
  [
    'unknown group on an instance',
    (c) => (c.instances[0].securityGroups = ['sg-x']),
    'instances[0].securityGroups[0]',
    /unknown security group "sg-x"/,
  ],
  [
    'bad instance address',
    (c) => (c.instances[0].addresses = ['10.0.0.256']),
    'instances[0].addresses[0]',
    /not a valid CIDR block/,
  ],
  [
    'overlapping addresses',
    (c) => (c.instances[1].addresses = ['10.0.0.0/24']),
    'instances[1].addresses[0]',
    /overlaps 10.0.0.10\/32 of interface "web-1\/eth0"/,
  ],
  [
    'addresses and interfaces both',
    (c) => (c.instances[0].interfaces = [{ addresses: ['10.0.1.1'], securityGroups: ['sg-a'] }]),
    'instances[0].addresses',
    /either "addresses"\/"securityGroups" on the instance or "interfaces"/,
  ],
  ['missing addresses', (c) => delete c.instances[0].addresses, 'instances[0]', /missing required key "addresses"/],
  ['unknown instance key', (c) => (c.instances[0].alowance = 5), 'instances[0].alowance', /did you mean "allowance"/],
  [
    'unknown interface key',
    (c) =>
      (c.instances[1] = {
        id: 'web-2',
        interfaces: [{ addresses: ['10.0.0.11'], securityGroups: ['sg-b'], mac: 'x' }],
      }),
    'instances[1].interfaces[0].mac',
    /unknown key "mac"/,
  ],
  ['negative allowance', (c) => (c.instances[0].allowance = -1), 'instances[0].allowance', /-1 is out of range/],
  [
    'fractional allowance',
    (c) => (c.instances[0].allowance = 1.5),
    'instances[0].allowance',
    /expected a number of connections, got 1.5/,
  ],
  ['type not a string', (c) => (c.instances[0].type = 5), 'instances[0].type', /expected a string/],
  [
    'tcpEstablishedTimeout below 60',
    (c) => (c.instances[0].conntrack = { tcpEstablishedTimeout: 59 }),
    'instances[0].conntrack.tcpEstablishedTimeout',
    /59 is out of range \(expected an integer number of seconds in 60…432000\)/,
  ],
  [
    'tcpEstablishedTimeout above 432000',
    (c) => (c.instances[0].conntrack = { tcpEstablishedTimeout: 432001 }),
    'instances[0].conntrack.tcpEstablishedTimeout',
    /out of range/,
  ],
  [
    'udpTimeout above 60',
    (c) => (c.instances[0].conntrack = { udpTimeout: 61 }),
    'instances[0].conntrack.udpTimeout',
    /61 is out of range .*30…60/,
  ],
  [
    'udpStreamTimeout below 60',
    (c) => (c.instances[0].conntrack = { udpStreamTimeout: 59 }),
    'instances[0].conntrack.udpStreamTimeout',
    /60…180/,
  ],
  [
    'udpTimeout not an integer',
    (c) => (c.instances[0].conntrack = { udpTimeout: 45.5 }),
    'instances[0].conntrack.udpTimeout',
    /expected an integer number of seconds, got 45.5/,
  ],
  [
    'model timeout zero',
    (c) => (c.instances[0].conntrack = { icmpTimeout: 0 }),
    'instances[0].conntrack.icmpTimeout',
    /greater than 0/,
  ],
  [
    'unknown conntrack key',
    (c) => (c.instances[0].conntrack = { tcpTimeout: 5 }),
    'instances[0].conntrack.tcpTimeout',
    /unknown key "tcpTimeout"/,
  ],
  [
    'bad autoTracked',
    (c) => (c.instances[0].autoTracked = 'alb'),
    'instances[0].autoTracked',
    /expected true, false or "nlb"/,
  ],
  ['bad nitro', (c) => (c.instances[0].nitro = 0), 'instances[0].nitro', /0 is out of range/],
  ['IPv6 vpcCidr', (c) => (c.instances[0].vpcCidr = '2001:db8::/56'), 'instances[0].vpcCidr', /expected IPv4/],
  ['bad prefix list entry', (c) => (c.prefixLists['pl-1'] = ['10.0.0.0/40']), 'prefixLists.pl-1[0]', /prefix length/],
  [
    'bad group member',
    (c) => (c.groupMembers['sg-ext'] = ['192.0.2.x']),
    'groupMembers.sg-ext[0]',
    /not a valid CIDR block/,
  ],
  [
    'unknown action',
    (c) => (c.events = [{ at: 1, action: 'deleteGroup' }]),
    'events[0].action',
    /unknown action "deleteGroup"/,
  ],
  [
    'bad event time',
    (c) => (c.events = [{ at: -1, action: 'revokeIngress', groupId: 'sg-a', permissions: [] }]),
    'events[0].at',
    /expected a time in seconds/,
  ],
  [
    'unknown event key',
    (c) => (c.events = [{ at: 1, action: 'revokeIngress', groupId: 'sg-a', permissions: [], instanceId: 'web-1' }]),
    'events[0].instanceId',
    /unknown key "instanceId"/,
  ],
  [
    'event on an unknown group',
    (c) => (c.events = [{ at: 1, action: 'authorizeIngress', groupId: 'sg-q', permissions: [] }]),
    'events[0].groupId',
    /unknown security group "sg-q"/,
  ],
  [
    'revoking a missing permission',
    (c) =>
      (c.events = [
        { at: 1, action: 'revokeIngress', groupId: 'sg-a', permissions: [perm('tcp', 80, 80, '0.0.0.0/0')] },
      ]),
    'events[0].permissions',
    /does not exist in sg-a at that time \(AWS: InvalidPermission.NotFound\)/,
  ],
  [
    'revoking twice',
    (c) =>
      (c.events = [2, 1].map((at) => ({
        at,
        action: 'revokeIngress',
        groupId: 'sg-a',
        permissions: [perm('tcp', 22, 22, '203.0.113.0/24')],
      }))),
    'events[0].permissions',
    /does not exist in sg-a at that time/,
  ],
  [
    'authorizing a duplicate',
    (c) =>
      (c.events = [
        { at: 1, action: 'authorizeIngress', groupId: 'sg-a', permissions: [perm('tcp', 22, 22, '203.0.113.0/24')] },
      ]),
    'events[0].permissions',
    /already authorized .*InvalidPermission.Duplicate/,
  ],
  [
    'bad permission in an event',
    (c) =>
      (c.events = [
        { at: 1, action: 'authorizeIngress', groupId: 'sg-a', permissions: [perm('udp', 9, 8, '0.0.0.0/0')] },
      ]),
    'events[0].permissions[0].ToPort',
    /FromPort 9 is greater than ToPort 8/,
  ],
  [
    'event on an unknown instance',
    (c) => (c.events = [{ at: 1, action: 'setSecurityGroups', instanceId: 'web-9', securityGroups: ['sg-a'] }]),
    'events[0].instanceId',
    /unknown instance "web-9"/,
  ],
  [
    'event on an unknown interface',
    (c) =>
      (c.events = [
        { at: 1, action: 'setSecurityGroups', instanceId: 'web-1', interfaceId: 'eth9', securityGroups: ['sg-a'] },
      ]),
    'events[0].interfaceId',
    /has no interface "eth9" \(it has: web-1\/eth0\)/,
  ],
  [
    'setSecurityGroups to an unknown group',
    (c) => (c.events = [{ at: 1, action: 'setSecurityGroups', instanceId: 'web-1', securityGroups: ['sg-q'] }]),
    'events[0].securityGroups[0]',
    /unknown security group "sg-q"/,
  ],
  [
    'modify out of range',
    (c) =>
      (c.events = [
        { at: 1, action: 'modifyConnectionTracking', instanceId: 'web-1', conntrack: { udpStreamTimeout: 200 } },
      ]),
    'events[0].conntrack.udpStreamTimeout',
    /200 is out of range/,
  ],
];

describe('S22 configuration errors', () => {
  it('the base config is valid', () => {
    expect(() => resolve(base())).not.toThrow();
  });

  it.each(cases)('%s', (_name, mutate, path, problem) => {
    const c = base();
    mutate(c);
    let err: unknown;
    try {
      resolve(c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.file).toBe('inline.json');
    expect(e.path).toBe(path);
    expect(e.problem).toMatch(problem);
    expect(e.message).toBe(`inline.json${path ? `: ${path}` : ''}: ${e.problem}`);
  });
});

describe('S22 configuration files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctreplay-cfg-'));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const fail = (f: string): InputError => {
    try {
      loadConfig(f);
    } catch (e) {
      return e as InputError;
    }
    throw new Error('expected an error');
  };

  it('reads YAML and JSON alike', () => {
    const json = write('a.json', JSON.stringify(base()));
    const yaml = write(
      'a.yaml',
      `instances:\n  - id: w\n    addresses: [10.0.0.1]\n    securityGroups: [sg-a]\nsecurityGroups:\n  - GroupId: sg-a\n    IpPermissionsEgress:\n      - IpProtocol: "-1"\n        IpRanges: [{CidrIp: 0.0.0.0/0}]\n`,
    );
    expect(loadConfig(json).instances).toHaveLength(2);
    expect(loadConfig(yaml).groups.get('sg-a')!.egress).toHaveLength(1);
  });

  it('invalid JSON names the file and line', () => {
    const e = fail(write('bad.json', '{\n  "instances": [\n}\n'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/bad\.json: not valid JSON \(line 3\): /);
  });

  it('invalid YAML names the file, line and column', () => {
    const e = fail(write('bad.yaml', 'instances:\n  - id: a\n   bad: [\n'));
    expect(e.message).toMatch(/bad\.yaml: not valid YAML \(line \d+, column \d+\)/);
  });

  it('a duplicate YAML key is an error', () => {
    const e = fail(write('dup.yaml', 'instances: []\ninstances: []\n'));
    expect(e.message).toMatch(/dup\.yaml: not valid YAML/);
  });

  it('a missing file is an error', () => {
    expect(fail(join(dir, 'nope.yaml')).message).toMatch(/nope\.yaml: cannot read the file \(ENOENT\)/);
  });

  it('securityGroups may be {file: …} holding the describe-security-groups output; its errors name that file', () => {
    const sgs = { SecurityGroups: base().securityGroups as Json[] };
    write('sgs.json', JSON.stringify(sgs));
    const c = base();
    c['securityGroups'] = { file: 'sgs.json' };
    const ok = write('inc.json', JSON.stringify(c));
    expect(loadConfig(ok).groups.size).toBe(2);

    (sgs.SecurityGroups[0]!['IpPermissions'] as Json[])[0]!['FromPort'] = 99999;
    write('sgs-bad.json', JSON.stringify(sgs));
    c['securityGroups'] = { file: 'sgs-bad.json' };
    const e = fail(write('inc-bad.json', JSON.stringify(c)));
    expect(e.file).toMatch(/sgs-bad\.json$/);
    expect(e.path).toBe('SecurityGroups[0].IpPermissions[0].FromPort');
  });

  it('securityGroups may be the whole describe-security-groups output object', () => {
    const c = base();
    c['securityGroups'] = { SecurityGroups: c['securityGroups'] };
    expect(resolve(c).groups.size).toBe(2);
  });
});
