import {
  B_DPORT, B_DST, B_FRAGFLAGS, B_FRAGID, B_ICMPCODE, B_ICMPID, B_ICMPTYPE, B_KIND, B_LEN, B_OUT, B_PROTO, B_QCODE,
  B_QDPORT, B_QDST, B_QID, B_QPROTO, B_QSPORT, B_QSRC, B_QTYPE, B_SPORT, B_SRC, B_TCPFLAGS, B_TS,
} from './layout';

/** Byte offset of batch field k (in src/trace/batch.ts field order) for capacity c. */
export function batchOffset(k: i32, c: usize): usize {
  switch (k) {
    case 0: return B_TS(c);
    case 1: return B_SRC(c);
    case 2: return B_DST(c);
    case 3: return B_QSRC(c);
    case 4: return B_QDST(c);
    case 5: return B_LEN(c);
    case 6: return B_FRAGID(c);
    case 7: return B_SPORT(c);
    case 8: return B_DPORT(c);
    case 9: return B_ICMPID(c);
    case 10: return B_QSPORT(c);
    case 11: return B_QDPORT(c);
    case 12: return B_QID(c);
    case 13: return B_KIND(c);
    case 14: return B_PROTO(c);
    case 15: return B_TCPFLAGS(c);
    case 16: return B_FRAGFLAGS(c);
    case 17: return B_ICMPTYPE(c);
    case 18: return B_ICMPCODE(c);
    case 19: return B_QPROTO(c);
    case 20: return B_QTYPE(c);
    case 21: return B_QCODE(c);
    case 22: return B_OUT(c);
  }
  return 0xffffffff;
}
