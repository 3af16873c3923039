#ifndef NETPOL_CORE_INTERNAL_EPOCH_H_
#define NETPOL_CORE_INTERNAL_EPOCH_H_

// Epoch-based reclamation for SnapshotStore, built on std::atomic only so
// ThreadSanitizer sees every ordering it relies on (it cannot see liburcu's
// barriers).
//
// One domain serves every store in the process: a thread announces a single
// epoch however many stores (and nested Readers) it reads, and a publisher
// of any store waits for every reader that entered before it retired its
// state. Read sections are short (one batch), so a publisher waiting for
// readers of another store costs at most one such section.
//
// Each reading thread claims one of kReaderSlots cache-line-aligned slots
// with a CAS on its first read section and gives it back when it exits
// (a thread_local destructor). A thread that finds no free slot (more than
// kReaderSlots threads reading at once) uses the overflow path: a shared
// counter per epoch parity. It is as correct, but every overflow reader
// writes the same cache line; the claim is retried on each outermost read
// section, so such a thread moves to a slot once one is free.
//
// A thread must not exit inside a read section, nor start one from a
// thread_local destructor (its slot may already be given back).

#include <cstddef>

namespace netpol::internal {

inline constexpr size_t kReaderSlots = 128;

// Begin / end a read-side section on the calling thread. Sections nest;
// only the outermost announces anything. Never block, never take a lock.
void EnterReadSection();
void LeaveReadSection();

// Advances the epoch and returns once every read section that was open
// before the call has ended: state retired before the call can then be
// freed. Takes a mutex shared by publishers only; sleeps while it waits.
// Must not be called inside a read section (it would wait for itself).
void WaitForReaders();

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_EPOCH_H_
