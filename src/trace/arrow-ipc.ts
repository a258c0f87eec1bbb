/**
 * A small, bounds-checked reader of Arrow IPC messages (file and stream
 * formats), enough for the fixed trace@1 schema: Schema and RecordBatch
 * messages, flatbuffers decoded by hand with every offset and length checked
 * against the bytes at hand. apache-arrow writes these files; reading them
 * here means a damaged file can end a trace but never hang it (the library
 * loops on corrupted vector lengths) and costs one copy per column.
 *
 * Message framing: [0xFFFFFFFF] [int32 metadata length] [Message flatbuffer,
 * padded to 8] [body]; end of stream: 0xFFFFFFFF 0x00000000. The file format
 * is "ARROW1\0\0", the same messages, a footer, int32 footer length, "ARROW1".
 */

/** A damaged Arrow message. */
export class ArrowDamage extends Error {}

function damaged(what: string): never {
  throw new ArrowDamage(what);
}

/** A flatbuffer table at `pos` in `buf`, with checked field access. */
class Table {
  private readonly vt: number;
  private readonly vtLen: number;

  constructor(
    readonly dv: DataView,
    readonly pos: number,
    readonly end: number,
  ) {
    if (pos < 0 || pos + 4 > end) damaged('table outside the message');
    const vt = pos - dv.getInt32(pos, true);
    if (vt < 0 || vt + 4 > end) damaged('vtable outside the message');
    this.vt = vt;
    this.vtLen = dv.getUint16(vt, true);
    if (this.vtLen < 4 || vt + this.vtLen > end) damaged('bad vtable');
  }

  /** Absolute position of field `i`, or 0 if absent. */
  field(i: number): number {
    const o = 4 + 2 * i;
    if (o + 2 > this.vtLen) return 0;
    const off = this.dv.getUint16(this.vt + o, true);
    if (off === 0) return 0;
    const at = this.pos + off;
    if (at >= this.end) damaged('field outside the message');
    return at;
  }

  int(i: number, size: 1 | 2 | 4, dflt = 0): number {
    const at = this.field(i);
    if (at === 0) return dflt;
    if (at + size > this.end) damaged('scalar outside the message');
    return size === 1 ? this.dv.getUint8(at) : size === 2 ? this.dv.getInt16(at, true) : this.dv.getInt32(at, true);
  }

  long(i: number): number {
    const at = this.field(i);
    if (at === 0) return 0;
    if (at + 8 > this.end) damaged('scalar outside the message');
    const v = this.dv.getBigInt64(at, true);
    if (v < 0n || v > 2n ** 52n) damaged('impossible 64-bit length');
    return Number(v);
  }

  /** Target of an offset field (table, vector or string), or 0. */
  private target(i: number): number {
    const at = this.field(i);
    if (at === 0) return 0;
    if (at + 4 > this.end) damaged('offset outside the message');
    const t = at + this.dv.getUint32(at, true);
    if (t >= this.end) damaged('offset outside the message');
    return t;
  }

  table(i: number): Table | null {
    const t = this.target(i);
    return t === 0 ? null : new Table(this.dv, t, this.end);
  }

  /** A vector field: [start of elements, count], count checked against `elemSize` and `max`. */
  vector(i: number, elemSize: number, max: number): [number, number] {
    const t = this.target(i);
    if (t === 0) return [0, 0];
    if (t + 4 > this.end) damaged('vector outside the message');
    const n = this.dv.getUint32(t, true);
    if (n > max || t + 4 + n * elemSize > this.end) damaged(`vector of ${n} elements does not fit`);
    return [t + 4, n];
  }

  /** Element k of a vector of tables. */
  tableAt(start: number, k: number): Table {
    const at = start + 4 * k;
    return new Table(this.dv, at + this.dv.getUint32(at, true), this.end);
  }

  string(i: number): string {
    const t = this.target(i);
    if (t === 0) return '';
    if (t + 4 > this.end) damaged('string outside the message');
    const n = this.dv.getUint32(t, true);
    if (n > 4096 || t + 4 + n > this.end) damaged('string does not fit');
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(this.dv.getUint8(t + 4 + k));
    return s;
  }
}

/** Decoded header of a Message. */
export type ArrowMessage =
  | { kind: 'schema'; fields: SchemaField[]; metadata: Map<string, string>; bodyLength: number }
  | {
      kind: 'recordBatch';
      length: number;
      nodes: number[];
      buffers: Array<[offset: number, length: number]>;
      compressed: boolean;
      bodyLength: number;
    }
  | { kind: 'other'; bodyLength: number };

/** A schema field: name, type and children. */
export interface SchemaField {
  name: string;
  /** "int<bits><s|u>", "fixed_size_list<n>", or "type<id>" for anything else. */
  type: string;
  nullable: boolean;
  children: SchemaField[];
}

const MESSAGE_SCHEMA = 1;
const MESSAGE_RECORD_BATCH = 3;
const TYPE_INT = 2;
const TYPE_FIXED_SIZE_LIST = 16;

function readField(t: Table, depth: number): SchemaField {
  if (depth > 4) damaged('schema nested too deep');
  const typeType = t.int(2, 1);
  const type = t.table(3);
  let name: string;
  if (typeType === TYPE_INT && type) name = `int${type.int(0, 4)}${type.int(1, 1) ? 's' : 'u'}`;
  else if (typeType === TYPE_FIXED_SIZE_LIST && type) name = `fixed_size_list<${type.int(0, 4)}>`;
  else name = `type${typeType}`;
  const [cs, cn] = t.vector(5, 4, 16);
  const children: SchemaField[] = [];
  for (let k = 0; k < cn; k++) children.push(readField(t.tableAt(cs, k), depth + 1));
  return { name: t.string(0), type: name, nullable: t.int(1, 1) !== 0, children };
}

function readSchema(t: Table): { fields: SchemaField[]; metadata: Map<string, string> } {
  const [fs, fn] = t.vector(1, 4, 256);
  const fields: SchemaField[] = [];
  for (let k = 0; k < fn; k++) fields.push(readField(t.tableAt(fs, k), 0));
  const [ms, mn] = t.vector(2, 4, 256);
  const metadata = new Map<string, string>();
  for (let k = 0; k < mn; k++) {
    const kv = t.tableAt(ms, k);
    metadata.set(kv.string(0), kv.string(1));
  }
  return { fields, metadata };
}

/** A record batch's place in an IPC file: message offset, metadata length (with its prefix), body length. */
export interface FileBlock {
  readonly offset: number;
  readonly metaDataLength: number;
  readonly bodyLength: number;
}

/** Decodes a file footer held in bytes [pos, end): the schema and the record batch blocks. */
export function decodeFooter(
  dv: DataView,
  pos: number,
  end: number,
): { schema: Extract<ArrowMessage, { kind: 'schema' }>; blocks: FileBlock[] } {
  if (pos + 4 > end) damaged('footer too short');
  const root = new Table(dv, pos + dv.getUint32(pos, true), end);
  const schema = root.table(1) ?? damaged('footer without a schema');
  const [bs, bn] = root.vector(3, 24, 1 << 24);
  const blocks: FileBlock[] = [];
  for (let k = 0; k < bn; k++) {
    const o = dv.getBigInt64(bs + 24 * k, true);
    const m = dv.getInt32(bs + 24 * k + 8, true);
    const b = dv.getBigInt64(bs + 24 * k + 16, true);
    if (o < 0n || o > 2n ** 52n || m <= 0 || b < 0n || b > 2n ** 52n) damaged('impossible record batch block');
    blocks.push({ offset: Number(o), metaDataLength: m, bodyLength: Number(b) });
  }
  return { schema: { kind: 'schema', ...readSchema(schema), bodyLength: 0 }, blocks };
}

/** Decodes a Message flatbuffer held in bytes [pos, end). */
export function decodeMessage(dv: DataView, pos: number, end: number): ArrowMessage {
  if (pos + 4 > end) damaged('message too short');
  const root = new Table(dv, pos + dv.getUint32(pos, true), end);
  const headerType = root.int(1, 1);
  const bodyLength = root.long(3);
  const header = root.table(2);
  if (headerType === MESSAGE_SCHEMA && header) return { kind: 'schema', ...readSchema(header), bodyLength };
  if (headerType === MESSAGE_RECORD_BATCH && header) {
    const length = header.long(0);
    const [ns, nn] = header.vector(1, 16, 1024);
    const nodes: number[] = [];
    for (let k = 0; k < nn; k++) {
      const v = dv.getBigInt64(ns + 16 * k, true);
      if (v < 0n || v > 2n ** 40n) damaged('impossible node length');
      nodes.push(Number(v));
    }
    const [bs, bn] = header.vector(2, 16, 2048);
    const buffers: Array<[number, number]> = [];
    for (let k = 0; k < bn; k++) {
      const o = dv.getBigInt64(bs + 16 * k, true);
      const l = dv.getBigInt64(bs + 16 * k + 8, true);
      if (o < 0n || l < 0n || o + l > BigInt(bodyLength)) damaged('a buffer lies outside the message body');
      buffers.push([Number(o), Number(l)]);
    }
    return { kind: 'recordBatch', length, nodes, buffers, compressed: header.field(3) !== 0, bodyLength };
  }
  return { kind: 'other', bodyLength };
}
