// Linear-memory allocator. The memory may be shared by several engine
// instances (one per worker thread, plus the coordinator's): they share one
// bump pointer, updated atomically, at the start of the heap; each instance
// keeps its own free list for regions it released. Nothing is allocated per
// packet; tables grow by doubling, rarely. Regions are whole cache lines
// (64 bytes), so instances on different threads never write the same line.

export let errorCode: i32 = 0; // 1 = out of memory
const FREE_SLOTS: i32 = 64;
let freeList: usize = 0; // FREE_SLOTS × (ptr u32, size u32), this instance's
let freeCount: i32 = 0;

/** Address of the shared bump pointer (u32): the first word of the heap. */
// @ts-ignore: decorator
@inline function bumpAt(): usize {
  return (__heap_base + 63) & ~<usize>63;
}

function ensure(end: usize): void {
  const need = <i32>((end + 0xffff) >> 16);
  while (memory.size() < need) {
    if (memory.grow(need - memory.size()) < 0 && memory.size() < need) {
      errorCode = 1;
      unreachable();
    }
  }
}

/** Initialises the allocator (the first instance on a memory sets the shared bump pointer). */
export function allocInit(): void {
  const at = bumpAt();
  ensure(at + 64);
  atomic.cmpxchg<u32>(at, 0, <u32>(at + 64));
  freeList = alloc(<usize>FREE_SLOTS * 8);
}

/** Allocates `size` bytes, 64-aligned, zeroed. */
export function alloc(size: usize): usize {
  size = (size + 63) & ~<usize>63;
  for (let i = 0; i < freeCount; i++) {
    const e = freeList + (<usize>i << 3);
    const s = <usize>load<u32>(e, 4);
    if (s >= size) {
      const p = <usize>load<u32>(e);
      if (s == size) {
        const last = freeList + (<usize>(freeCount - 1) << 3);
        store<u64>(e, load<u64>(last));
        freeCount--;
      } else {
        store<u32>(e, <u32>(p + size));
        store<u32>(e, <u32>(s - size), 4);
      }
      memory.fill(p, 0, size);
      return p;
    }
  }
  const p = <usize>atomic.add<u32>(bumpAt(), <u32>size);
  if (p + size < p || p + size > 0xfff00000) {
    errorCode = 1;
    unreachable();
  }
  ensure(p + size);
  memory.fill(p, 0, size);
  return p;
}

/** Returns a region to this instance's free list (dropped if the list is full). */
export function release(p: usize, size: usize): void {
  if (p == 0) return;
  size = (size + 63) & ~<usize>63;
  if (freeCount == FREE_SLOTS) return;
  const e = freeList + (<usize>freeCount << 3);
  store<u32>(e, <u32>p);
  store<u32>(e, <u32>size, 4);
  freeCount++;
}

/** Bytes handed out so far by all instances on this memory (the bump pointer). */
export function heapTop(): usize {
  return <usize>atomic.load<u32>(bumpAt());
}
