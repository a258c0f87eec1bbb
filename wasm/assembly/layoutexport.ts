import {
  B_DPORT, B_DST, B_FRAGFLAGS, B_FRAGID, B_ICMPCODE, B_ICMPID, B_ICMPTYPE, B_KIND, B_LEN, B_OUT, B_PROTO, B_QCODE,
  B_QDPORT, B_QDST, B_QID, B_QPROTO, B_QSPORT, B_QSRC, B_QTYPE, B_SPORT, B_SRC, B_TCPFLAGS, B_TS, B_CAPIF, B_COPY,
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
    case 23: return B_CAPIF(c);
    case 24: return B_COPY(c);
  }
  return 0xffffffff;
}

import {
  ADDR_WORDS, CTR_ALIVE, CTR_EXCEEDED, CTR_LINKLOCAL, CTR_PEAK, IF_IN_RULES, IF_S9, IF_TIMEOUTS, IF_WORDS, INST_CTR,
  INST_WORDS, RULE_WORDS, S9_WORDS,
} from './layout';

/** Config-blob and counter layout constants, for the layout test (k in the order of test/engine/layout.test.ts). */
export function layoutConstant(k: i32): i32 {
  switch (k) {
    case 0: return <i32>INST_WORDS;
    case 1: return <i32>IF_WORDS;
    case 2: return <i32>IF_TIMEOUTS;
    case 3: return <i32>IF_IN_RULES;
    case 4: return <i32>IF_S9;
    case 5: return <i32>S9_WORDS;
    case 6: return <i32>ADDR_WORDS;
    case 7: return <i32>RULE_WORDS;
    case 8: return <i32>INST_CTR;
    case 9: return <i32>CTR_PEAK;
    case 10: return <i32>CTR_ALIVE;
    case 11: return <i32>CTR_EXCEEDED;
    case 12: return <i32>CTR_LINKLOCAL;
  }
  return -1;
}
