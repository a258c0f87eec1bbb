// Linear-memory allocator for the engine's few large regions (tables, timer
// pools, batch, config). First fit from a small free list, else bump.
// Nothing is allocated per packet; tables grow by doubling, rarely.

export let errorCode: i32 = 0; // 1 = out of memory
const FREE_SLOTS: i32 = 64;
let freeList: usize = 0; // FREE_SLOTS × (ptr u32, size u32)
let freeCount: i32 = 0;
let top: usize = 0;

function ensure(end: usize): void {
  const need = <i32>((end + 0xffff) >> 16);
  const have = memory.size();
  if (need > have) {
    if (memory.grow(need - have) < 0) {
      errorCode = 1;
      unreachable();
    }
  }
}

/** Initialises the allocator after the static data. */
export function allocInit(): void {
  top = (__heap_base + 15) & ~<usize>15;
  freeList = top;
  top += <usize>FREE_SLOTS * 8;
  ensure(top);
}

/** Allocates `size` bytes, 16-aligned, zeroed. */
export function alloc(size: usize): usize {
  size = (size + 15) & ~<usize>15;
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
  const p = top;
  top += size;
  ensure(top);
  memory.fill(p, 0, size);
  return p;
}

/** Returns a region for reuse (dropped if the free list is full). */
export function release(p: usize, size: usize): void {
  if (p == 0) return;
  size = (size + 15) & ~<usize>15;
  if (p + size == top) {
    top = p;
    return;
  }
  if (freeCount == FREE_SLOTS) return;
  const e = freeList + (<usize>freeCount << 3);
  store<u32>(e, <u32>p);
  store<u32>(e, <u32>size, 4);
  freeCount++;
}

/** Bytes handed out so far (high-water mark of the bump pointer). */
export function heapTop(): usize {
  return top;
}
