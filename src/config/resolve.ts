/**
 * Turns a raw config (parsed JSON/YAML) into a ResolvedConfig, checking every
 * clause of SPEC S22: unknown keys, protocols, ports, CIDRs, group and prefix
 * list references, timeouts within the AWS ranges, event targets, and revokes
 * of permissions that would not exist at that time. Every error names the
 * file, the field path and the problem.
 */
import { parseCidr, type Addr, type Cidr, cidrContains, formatCidr } from '../model/addr.js';
import { PROTO, readProtocol } from '../model/protocol.js';
import { readTime, secondsToNs } from '../model/time.js';
import { mergeCatalogs, readCatalogEntries, type Catalog, type CatalogEntry } from './catalog.js';
import { Field } from './reader.js';
import { CONNTRACK_KEYS, CONNTRACK_RANGES, resolveTimeouts, type ConntrackKey } from './timeouts.js';
import type {
  AllowanceSource,
  AutoTracked,
  ConfigEvent,
  Instance,
  Interface,
  Peer,
  ResolvedConfig,
  Rule,
  SecurityGroup,
  Timeouts,
} from './types.js';

/** Reads an included file (`securityGroups: {file: …}`), relative to the including file; returns its root field. */
export type IncludeLoader = (path: string, from: Field) => Field;

const TOP_KEYS = [
  'securityGroups',
  'prefixLists',
  'groupMembers',
  'instances',
  'events',
  'catalog',
  'description',
] as const;
const GROUP_KEYS = [
  'GroupId',
  'GroupName',
  'Description',
  'OwnerId',
  'VpcId',
  'IpPermissions',
  'IpPermissionsEgress',
  'Tags',
  'SecurityGroupArn',
] as const;
const PERMISSION_KEYS = [
  'IpProtocol',
  'FromPort',
  'ToPort',
  'IpRanges',
  'Ipv6Ranges',
  'PrefixListIds',
  'UserIdGroupPairs',
] as const;
const PAIR_KEYS = [
  'GroupId',
  'GroupName',
  'UserId',
  'VpcId',
  'VpcPeeringConnectionId',
  'PeeringStatus',
  'Description',
] as const;
const SHARED_IFACE_KEYS = ['vpcCidr', 'autoTracked', 'conntrack', 'nitro'] as const;
const INSTANCE_KEYS = [
  'id',
  'type',
  'allowance',
  'addresses',
  'securityGroups',
  'interfaces',
  ...SHARED_IFACE_KEYS,
] as const;
const INTERFACE_KEYS = ['id', 'addresses', 'securityGroups', ...SHARED_IFACE_KEYS] as const;
const RULE_ACTIONS = ['authorizeIngress', 'authorizeEgress', 'revokeIngress', 'revokeEgress'] as const;
const ACTIONS = [...RULE_ACTIONS, 'setSecurityGroups', 'modifyConnectionTracking'] as const;

/** Resolves and validates a config whose root is `root`. */
export function resolveConfig(
  root: Field,
  include: IncludeLoader,
  extra: { readonly catalog?: readonly CatalogEntry[] } = {},
): ResolvedConfig {
  root.object(TOP_KEYS, 'a config object');
  const catalogF = root.opt('catalog');
  const catalog = mergeCatalogs(extra.catalog ?? [], catalogF ? readCatalogEntries(catalogF, 'config') : []);

  const prefixLists = readCidrMap(root.opt('prefixLists'), 'prefix list', false);
  const groupMembers = readCidrMap(root.opt('groupMembers'), 'group', true);

  // Groups: ids first, so rules may reference any group of the file.
  const groupFields = readGroupList(root.req('securityGroups'), include);
  const groupIds = new Set<string>();
  for (const g of groupFields) {
    g.object(GROUP_KEYS, 'a security group');
    const idF = g.req('GroupId');
    const id = idF.string();
    if (groupIds.has(id)) idF.fail(`duplicate security group id "${id}"`);
    groupIds.add(id);
  }
  const refs: RefContext = { prefixLists, groupIds, groupMembers };
  const groups = new Map<string, SecurityGroup>();
  for (const g of groupFields) {
    const id = g.req('GroupId').string();
    const nameF = g.opt('GroupName');
    groups.set(id, {
      id,
      name: nameF ? nameF.string(true) : id,
      ingress: readPermissions(g.opt('IpPermissions'), refs),
      egress: readPermissions(g.opt('IpPermissionsEgress'), refs),
    });
  }

  const { instances, interfaces } = readInstances(root.req('instances'), groups, catalog);
  const events = readEvents(root.opt('events'), refs, groups, instances, interfaces);

  return { file: root.file, groups, prefixLists, groupMembers, instances, interfaces, events, catalog };
}

interface RefContext {
  readonly prefixLists: ReadonlyMap<string, readonly Cidr[]>;
  readonly groupIds: ReadonlySet<string>;
  readonly groupMembers: ReadonlyMap<string, readonly Cidr[]>;
}

/** `securityGroups`: the SecurityGroups array, the whole describe output, or {file}. */
function readGroupList(f: Field, include: IncludeLoader): Field[] {
  if (Array.isArray(f.value)) return f.array();
  if (f.value !== null && typeof f.value === 'object') {
    const keys = Object.keys(f.value);
    if (keys.includes('file')) {
      f.object(['file'], '{file: path}');
      const inc = include(f.req('file').string(), f.req('file'));
      if (Array.isArray(inc.value)) return inc.array();
      inc.object(
        ['SecurityGroups', 'NextToken'],
        'the output of `aws ec2 describe-security-groups` or its SecurityGroups array',
      );
      return inc.req('SecurityGroups').array();
    }
    f.object(['SecurityGroups', 'NextToken'], 'the output of `aws ec2 describe-security-groups`');
    return f.req('SecurityGroups').array();
  }
  return f.fail(
    'expected the SecurityGroups array of `aws ec2 describe-security-groups`, its whole output object, or {file: path}',
  );
}

/** prefixLists / groupMembers: {id: [CIDR or address, …]}. */
function readCidrMap(f: Field | undefined, what: string, allowBare: boolean): Map<string, readonly Cidr[]> {
  const out = new Map<string, readonly Cidr[]>();
  if (!f) return out;
  for (const [id, list] of f.entries(`an object of ${what} id → list`)) {
    out.set(
      id,
      list.array().map((c) => readCidrField(c, null, allowBare)),
    );
  }
  return out;
}

function readCidrField(f: Field, family: 4 | 6 | null, allowBare: boolean): Cidr {
  const s = f.string();
  const r = parseCidr(s, allowBare);
  if (!r.ok) f.fail(r.problem);
  if (family !== null && r.cidr.v !== family) f.fail(`"${s}" is an IPv${r.cidr.v} block; expected IPv${family} here`);
  return r.cidr;
}

/** Reads a list of IpPermission objects into single rules. */
function readPermissions(f: Field | undefined, refs: RefContext): Rule[] {
  if (!f) return [];
  const rules: Rule[] = [];
  const seen = new Set<string>();
  for (const p of f.array('a list of IpPermission objects')) {
    for (const r of readPermission(p, refs)) {
      const k = ruleKey(r);
      if (!seen.has(k)) {
        seen.add(k);
        rules.push(r);
      }
    }
  }
  return rules;
}

/** One IpPermission → its rules (one per peer), SPEC S8 and S22 port checks. */
export function readPermission(p: Field, refs: RefContext): Rule[] {
  p.object(PERMISSION_KEYS, 'an IpPermission object');
  const protoF = p.req('IpProtocol');
  let proto: number;
  if (protoF.value === '-1' || protoF.value === -1) proto = -1;
  else {
    proto =
      readProtocol(protoF.value) ??
      protoF.fail(
        `unknown protocol ${JSON.stringify(protoF.value)} (expected "-1", tcp, udp, icmp, icmpv6 or a number 0…255)`,
      );
  }

  let from = -1;
  let to = -1;
  const fromF = p.opt('FromPort');
  const toF = p.opt('ToPort');
  if (proto === PROTO.TCP || proto === PROTO.UDP) {
    const name = proto === PROTO.TCP ? 'tcp' : 'udp';
    if (!fromF) p.fail(`missing required key "FromPort" (${name} rules need a port range)`);
    if (!toF) p.fail(`missing required key "ToPort" (${name} rules need a port range)`);
    from = fromF.int(0, 65535, `a ${name} port`);
    to = toF.int(0, 65535, `a ${name} port`);
    if (from > to) toF.fail(`FromPort ${from} is greater than ToPort ${to}`);
  } else if (proto === PROTO.ICMP || proto === PROTO.ICMPV6) {
    // FromPort is the ICMP type, ToPort the code; omitted means all.
    from = fromF ? fromF.int(-1, 255, 'an ICMP type (-1 = all)') : -1;
    to = toF ? toF.int(-1, 255, 'an ICMP code (-1 = all)') : -1;
    if (from === -1 && to !== -1) toF!.fail(`ICMP code must be -1 when the type is -1 (got code ${to})`);
  } else {
    // -1 and other protocols: all ports; values given are checked but ignored.
    if (fromF) fromF.int(-1, 65535, 'a port');
    if (toF) toF.int(-1, 65535, 'a port');
  }

  const peers: Peer[] = [];
  const v4 = p.opt('IpRanges');
  if (v4) {
    for (const r of v4.array()) {
      r.object(['CidrIp', 'Description'], 'an IpRange object');
      peers.push({ kind: 'cidr', cidr: readCidrField(r.req('CidrIp'), 4, false) });
    }
  }
  const v6 = p.opt('Ipv6Ranges');
  if (v6) {
    for (const r of v6.array()) {
      r.object(['CidrIpv6', 'Description'], 'an Ipv6Range object');
      peers.push({ kind: 'cidr', cidr: readCidrField(r.req('CidrIpv6'), 6, false) });
    }
  }
  const pls = p.opt('PrefixListIds');
  if (pls) {
    for (const r of pls.array()) {
      r.object(['PrefixListId', 'Description'], 'a PrefixListId object');
      const idF = r.req('PrefixListId');
      const id = idF.string();
      if (!refs.prefixLists.has(id)) idF.fail(`unknown prefix list "${id}" (define its CIDRs under prefixLists)`);
      peers.push({ kind: 'prefixList', id });
    }
  }
  const pairs = p.opt('UserIdGroupPairs');
  if (pairs) {
    for (const r of pairs.array()) {
      r.object(PAIR_KEYS, 'a UserIdGroupPair object');
      const idF = r.req('GroupId');
      const id = idF.string();
      if (!refs.groupIds.has(id) && !refs.groupMembers.has(id)) {
        idF.fail(
          `unknown security group "${id}" (define it under securityGroups, or list its addresses under groupMembers)`,
        );
      }
      peers.push({ kind: 'group', id });
    }
  }
  if (peers.length === 0)
    p.fail('the permission has no peer (IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs)');
  return peers.map((peer) => ({ proto, from, to, peer }));
}

/** Identity of a rule, as the AWS API compares them for revoke. */
export function ruleKey(r: Rule): string {
  const peer = r.peer.kind === 'cidr' ? `cidr:${formatCidr(r.peer.cidr)}` : `${r.peer.kind}:${r.peer.id}`;
  return `${r.proto}|${r.from}|${r.to}|${peer}`;
}

function readInstances(f: Field, groups: ReadonlyMap<string, SecurityGroup>, catalog: Catalog) {
  const instances: Instance[] = [];
  const interfaces: Interface[] = [];
  const instanceIds = new Set<string>();
  const interfaceIds = new Set<string>();
  const owners: Array<{ cidr: Cidr; iface: string; field: Field }> = [];

  const list = f.array('a list of instances');
  if (list.length === 0) f.fail('expected at least one instance (with none, every packet would be foreign)');
  for (const inst of list) {
    inst.object(INSTANCE_KEYS, 'an instance');
    const idF = inst.req('id');
    const id = idF.string();
    if (instanceIds.has(id)) idF.fail(`duplicate instance id "${id}"`);
    instanceIds.add(id);
    const typeF = inst.opt('type');
    const type = typeF ? typeF.string() : null;
    const allowanceF = inst.opt('allowance');
    let allowance: number | null = null;
    let allowanceSource: AllowanceSource = 'unlimited';
    if (allowanceF) {
      allowance = allowanceF.int(0, 2 ** 32 - 1, 'a number of connections');
      allowanceSource = 'config';
    } else if (type !== null) {
      // A type the catalog does not know, or knows without a measurement, is unlimited (S17).
      const entry = catalog.get(type);
      if (entry && entry.allowance !== null) {
        allowance = entry.allowance;
        allowanceSource = 'catalog';
      }
    }

    const shared = readSharedIfaceSettings(inst, null);
    const ifaceFields = inst.opt('interfaces');
    const specs: Array<{ f: Field; defaultId: string }> = [];
    if (ifaceFields) {
      for (const k of ['addresses', 'securityGroups'] as const) {
        const given = inst.opt(k);
        if (given) given.fail(`give either "addresses"/"securityGroups" on the instance or "interfaces", not both`);
      }
      const fl = ifaceFields.array('a list of interfaces');
      if (fl.length === 0) ifaceFields.fail('expected at least one interface');
      fl.forEach((x, i) => specs.push({ f: x, defaultId: `${id}/eth${i}` }));
    } else {
      specs.push({ f: inst, defaultId: `${id}/eth0` });
    }

    const indices: number[] = [];
    for (const { f: iff, defaultId } of specs) {
      const isShorthand = iff === inst;
      if (!isShorthand) iff.object(INTERFACE_KEYS, 'an interface');
      const ifIdF = isShorthand ? undefined : iff.opt('id');
      const ifId = ifIdF ? ifIdF.string() : defaultId;
      if (interfaceIds.has(ifId)) (ifIdF ?? iff).fail(`duplicate interface id "${ifId}"`);
      interfaceIds.add(ifId);

      const addrF = iff.req('addresses');
      const addresses: Cidr[] = [];
      for (const a of addrF.array('a list of addresses')) {
        const c = readCidrField(a, null, true);
        for (const o of owners) {
          if (overlaps(o.cidr, c)) {
            a.fail(
              `${a.value} overlaps ${formatCidr(o.cidr)} of interface "${o.iface}"; every address belongs to one interface`,
            );
          }
        }
        owners.push({ cidr: c, iface: ifId, field: a });
        addresses.push(c);
      }
      if (addresses.length === 0) addrF.fail('expected at least one address');

      const sgF = iff.req('securityGroups');
      const securityGroups = sgF.array('a list of security group ids').map((g) => readGroupRef(g, groups));

      const own = isShorthand ? shared : readSharedIfaceSettings(iff, shared);
      const index = interfaces.length;
      interfaces.push({
        index,
        id: ifId,
        instance: instances.length,
        addresses,
        securityGroups,
        vpcResolver: own.vpcResolver,
        autoTracked: own.autoTracked,
        timeouts: resolveTimeouts(own.nitro, own.autoTracked, own.conntrack),
      });
      indices.push(index);
    }
    instances.push({ index: instances.length, id, type, allowance, allowanceSource, interfaces: indices });
  }
  return { instances, interfaces };
}

interface SharedSettings {
  vpcResolver: Addr | null;
  autoTracked: AutoTracked;
  nitro: number | null;
  conntrack: Partial<Timeouts>;
}

/** vpcCidr, autoTracked, conntrack, nitro: an interface's own values win over its instance's, key by key for conntrack (S2). */
function readSharedIfaceSettings(f: Field, inherited: SharedSettings | null): SharedSettings {
  const vpcF = f.opt('vpcCidr');
  let vpcResolver = inherited?.vpcResolver ?? null;
  if (vpcF) {
    const c = readCidrField(vpcF, 4, false);
    if (c.len > 30) vpcF.fail(`a VPC CIDR is /16…/28; "${vpcF.value}" has no room for the resolver at base + 2`);
    vpcResolver = { v: 4, n: c.n + 2n }; // S20: VPC CIDR base + 2
  }
  const atF = f.opt('autoTracked');
  let autoTracked: AutoTracked = inherited?.autoTracked ?? false;
  if (atF) {
    if (atF.value === 'nlb') autoTracked = 'nlb';
    else if (typeof atF.value === 'boolean') autoTracked = atF.value;
    else atF.fail(`expected true, false or "nlb", got ${JSON.stringify(atF.value)}`);
  }
  const nitroF = f.opt('nitro');
  const nitro = nitroF ? nitroF.int(1, 99, 'a Nitro version') : (inherited?.nitro ?? null);
  const ctF = f.opt('conntrack');
  const conntrack = { ...(inherited?.conntrack ?? {}), ...(ctF ? readConntrack(ctF) : {}) };
  return { vpcResolver, autoTracked, nitro, conntrack };
}

/** A `conntrack` object (S13 keys) → timeouts in ns; values outside the AWS ranges are errors. */
function readConntrack(f: Field): Partial<Timeouts> {
  f.object(Object.keys(CONNTRACK_KEYS), 'a conntrack object');
  const out: Partial<Timeouts> = {};
  for (const [key, field] of f.entries()) {
    const k = key as ConntrackKey;
    const range = CONNTRACK_RANGES[k];
    let seconds: number;
    if (range.aws) {
      seconds = field.int(range.min, range.max, 'an integer number of seconds');
    } else {
      seconds = field.number(0, range.max, 'a number of seconds');
      if (seconds <= 0) field.fail(`expected a number of seconds greater than 0, got ${seconds}`);
    }
    out[CONNTRACK_KEYS[k]] = secondsToNs(seconds);
  }
  return out;
}

function readGroupRef(f: Field, groups: ReadonlyMap<string, SecurityGroup>): string {
  const id = f.string();
  if (!groups.has(id)) f.fail(`unknown security group "${id}" (not defined under securityGroups)`);
  return id;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.v !== b.v) return false;
  return a.len <= b.len ? cidrContains(a, b) : cidrContains(b, a);
}

function readEvents(
  f: Field | undefined,
  refs: RefContext,
  groups: ReadonlyMap<string, SecurityGroup>,
  instances: readonly Instance[],
  interfaces: readonly Interface[],
): ConfigEvent[] {
  if (!f) return [];
  const parsed: Array<{ ev: ConfigEvent; field: Field }> = [];
  for (const e of f.array('a list of events')) {
    if (e.value === null || typeof e.value !== 'object' || Array.isArray(e.value)) e.fail('expected an event object');
    const actionF = e.req('action');
    const action = actionF.string();
    if (!(ACTIONS as readonly string[]).includes(action)) {
      actionF.fail(`unknown action "${action}" (expected one of ${ACTIONS.join(', ')})`);
    }
    const atF = e.req('at');
    const at =
      readTime(atF.value) ??
      atF.fail(`expected a time in seconds (a number ≥ 0, or a decimal string), got ${JSON.stringify(atF.value)}`);

    if ((RULE_ACTIONS as readonly string[]).includes(action)) {
      e.object(['at', 'action', 'groupId', 'permissions', 'description']);
      const gF = e.req('groupId');
      const groupId = readGroupRef(gF, groups);
      const permsF = e.req('permissions');
      const rules: Rule[] = [];
      for (const p of permsF.array('a list of IpPermission objects')) rules.push(...readPermission(p, refs));
      parsed.push({ ev: { at, action: action as (typeof RULE_ACTIONS)[number], groupId, rules }, field: e });
    } else {
      e.object([
        'at',
        'action',
        'instanceId',
        'interfaceId',
        action === 'setSecurityGroups' ? 'securityGroups' : 'conntrack',
        'description',
      ]);
      const instF = e.req('instanceId');
      const instId = instF.string();
      const inst = instances.find((i) => i.id === instId) ?? instF.fail(`unknown instance "${instId}"`);
      const ifF = e.opt('interfaceId');
      let targets = inst.interfaces;
      if (ifF) {
        const ifId = ifF.string();
        const idx =
          inst.interfaces.find((i) => interfaces[i]!.id === ifId) ??
          ifF.fail(
            `instance "${instId}" has no interface "${ifId}" (it has: ${inst.interfaces.map((i) => interfaces[i]!.id).join(', ')})`,
          );
        targets = [idx];
      }
      if (action === 'setSecurityGroups') {
        const sgs = e
          .req('securityGroups')
          .array('a list of security group ids')
          .map((g) => readGroupRef(g, groups));
        // Default: the primary interface (DESIGN.md).
        parsed.push({ ev: { at, action, interface: targets[0]!, securityGroups: sgs }, field: e });
      } else {
        const timeouts = readConntrack(e.req('conntrack'));
        parsed.push({ ev: { at, action: 'modifyConnectionTracking', interfaces: targets, timeouts }, field: e });
      }
    }
  }

  // S12: in order of `at`, equal `at` in file order (Array.prototype.sort is stable).
  parsed.sort((a, b) => (a.ev.at < b.ev.at ? -1 : a.ev.at > b.ev.at ? 1 : 0));

  // Replay the rule changes to refuse duplicates and revokes of permissions that would not exist then (AWS API behaviour).
  const live = new Map<string, { ingress: Set<string>; egress: Set<string> }>();
  for (const g of groups.values()) {
    live.set(g.id, { ingress: new Set(g.ingress.map(ruleKey)), egress: new Set(g.egress.map(ruleKey)) });
  }
  for (const { ev, field } of parsed) {
    if (ev.action === 'setSecurityGroups' || ev.action === 'modifyConnectionTracking') continue;
    const sets = live.get(ev.groupId)!;
    const set = ev.action.endsWith('Ingress') ? sets.ingress : sets.egress;
    const adding = ev.action.startsWith('authorize');
    const inEvent = new Set<string>();
    for (const r of ev.rules) {
      const k = ruleKey(r);
      if (adding) {
        if (set.has(k) || inEvent.has(k)) {
          field
            .at('permissions')
            .fail(
              `${describeRule(r)} is already authorized in ${ev.groupId} at that time (AWS: InvalidPermission.Duplicate)`,
            );
        }
        inEvent.add(k);
        set.add(k);
      } else {
        if (!set.has(k)) {
          field
            .at('permissions')
            .fail(`${describeRule(r)} does not exist in ${ev.groupId} at that time (AWS: InvalidPermission.NotFound)`);
        }
        set.delete(k);
      }
    }
  }
  return parsed.map((p) => p.ev);
}

/** A rule in words, for messages ("tcp 22-22 from 0.0.0.0/0"). */
export function describeRule(r: Rule): string {
  const proto =
    r.proto === -1
      ? 'all protocols'
      : r.proto === 6
        ? 'tcp'
        : r.proto === 17
          ? 'udp'
          : r.proto === 1
            ? 'icmp'
            : r.proto === 58
              ? 'icmpv6'
              : `protocol ${r.proto}`;
  const ports =
    r.proto === 6 || r.proto === 17
      ? ` ${r.from}-${r.to}`
      : r.proto === 1 || r.proto === 58
        ? ` type ${r.from} code ${r.to}`
        : '';
  const peer = r.peer.kind === 'cidr' ? formatCidr(r.peer.cidr) : r.peer.id;
  return `permission ${proto}${ports} ${peer}`;
}
