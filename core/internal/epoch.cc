#include "core/internal/epoch.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

// Memory ordering. Every operation named below is seq_cst, so all of them
// sit in one total order S consistent with each thread's program order.
//
//   reader enter:  e = epoch.load(); slot = e;   then  p = state.load()
//   reader leave:  slot = 0 (release)
//   publisher:     state.exchange(new); epoch.fetch_add(1) -> next;
//                  for each slot: wait until slot == 0 or slot >= next;
//                  then delete the old state
//
// Why a reader that announced an epoch >= next sees the new pointer: it
// read `next` (or later) from `epoch`, so its epoch load follows the bump
// in S, which follows the exchange; its later state.load() therefore reads
// the new pointer or a newer one, never the retired one.
//
// Why a slot the publisher reads as 0 (or as an older epoch that later
// changes to 0) is safe: if the reader had not announced yet when the
// publisher read its slot, that read precedes the announcement in S
// (a seq_cst load reading an older value comes before the store it missed),
// so, as above, the reader's state.load() follows the exchange and sees the
// new pointer. If it had announced an older epoch, the publisher keeps
// waiting until it reads the reader's release store of 0; that store comes
// after every access the reader made to the old state, and the publisher's
// load reads it, so those accesses happen-before the delete (release /
// acquire: this is the edge ThreadSanitizer checks).
//
// Overflow readers use the same argument with a counter instead of a slot:
// they count themselves in overflow[e & 1] and re-read the epoch; if it
// moved, they undo and retry, so a counted reader entered at epoch e for
// sure. Publishers advance the epoch one at a time (advance_mutex), and the
// advance to e + 1 waits for overflow[e & 1] to drain, so by the time the
// epoch returns to that parity every reader counted there for an older
// epoch is gone. The decrement is a release RMW; RMWs continue release
// sequences, so the publisher's acquire of 0 synchronizes with every reader
// that decremented before it.

namespace netpol::internal {
namespace {

constexpr uint64_t kQuiescent = 0;  // epochs start at 1

struct alignas(64) Slot {
  // Epoch the owner announced on entering its outermost read section, or
  // kQuiescent outside one. Written only by the owner.
  std::atomic<uint64_t> epoch{kQuiescent};
  std::atomic<bool> owned{false};
};

struct Domain {
  std::atomic<uint64_t> epoch{1};
  // Serializes epoch advances (publishers only), which the overflow
  // counters' parity scheme needs.
  std::mutex advance_mutex;
  std::atomic<size_t> owned_slots{0};
  Slot slots[kReaderSlots];
  // Readers without a slot, by the parity of the epoch they entered at.
  alignas(64) std::atomic<uint64_t> overflow[2] = {};
};

// Never destroyed: threads may still leave read sections during exit.
Domain& TheDomain() {
  static Domain* const domain = new Domain;
  return *domain;
}

Slot* ClaimSlot(Domain& domain) {
  if (domain.owned_slots.load(std::memory_order_relaxed) >= kReaderSlots) {
    return nullptr;
  }
  for (Slot& slot : domain.slots) {
    bool expected = false;
    if (!slot.owned.load(std::memory_order_relaxed) &&
        slot.owned.compare_exchange_strong(expected, true,
                                           std::memory_order_acquire)) {
      domain.owned_slots.fetch_add(1, std::memory_order_relaxed);
      return &slot;
    }
  }
  return nullptr;
}

// The calling thread's reading state; only that thread touches it.
struct ThreadRecord {
  Slot* slot = nullptr;
  int depth = 0;            // nesting of read sections
  int overflow_parity = 0;  // counter used by the current overflow section

  ~ThreadRecord() {
    if (slot == nullptr) return;
    slot->owned.store(false, std::memory_order_release);
    TheDomain().owned_slots.fetch_sub(1, std::memory_order_relaxed);
    // A read section begun by a later thread_local destructor must not
    // reuse a slot another thread may have claimed by then.
    slot = nullptr;
  }
};

thread_local ThreadRecord t_record;

// Yields first (a reader's section is usually short), then sleeps so a
// waiting publisher does not steal a core from the readers it waits for.
class Backoff {
 public:
  void Wait() {
    if (++rounds_ < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

 private:
  int rounds_ = 0;
};

}  // namespace

void EnterReadSection() {
  ThreadRecord& record = t_record;
  if (record.depth++ > 0) return;
  Domain& domain = TheDomain();
  if (record.slot == nullptr) record.slot = ClaimSlot(domain);
  if (record.slot != nullptr) {
    record.slot->epoch.store(domain.epoch.load(std::memory_order_seq_cst),
                             std::memory_order_seq_cst);
    return;
  }
  for (;;) {
    const uint64_t epoch = domain.epoch.load(std::memory_order_seq_cst);
    const int parity = static_cast<int>(epoch & 1);
    domain.overflow[parity].fetch_add(1, std::memory_order_seq_cst);
    if (domain.epoch.load(std::memory_order_seq_cst) == epoch) {
      record.overflow_parity = parity;
      return;
    }
    domain.overflow[parity].fetch_sub(1, std::memory_order_release);
  }
}

void LeaveReadSection() {
  ThreadRecord& record = t_record;
  if (--record.depth > 0) return;
  if (record.slot != nullptr) {
    record.slot->epoch.store(kQuiescent, std::memory_order_release);
    return;
  }
  TheDomain().overflow[record.overflow_parity].fetch_sub(
      1, std::memory_order_release);
}

void WaitForReaders() {
  Domain& domain = TheDomain();
  std::lock_guard<std::mutex> lock(domain.advance_mutex);
  const uint64_t previous =
      domain.epoch.fetch_add(1, std::memory_order_seq_cst);
  const uint64_t next = previous + 1;
  for (Slot& slot : domain.slots) {
    Backoff backoff;
    for (;;) {
      const uint64_t announced = slot.epoch.load(std::memory_order_seq_cst);
      if (announced == kQuiescent || announced >= next) break;
      backoff.Wait();
    }
  }
  Backoff backoff;
  while (domain.overflow[previous & 1].load(std::memory_order_seq_cst) != 0) {
    backoff.Wait();
  }
}

}  // namespace netpol::internal
