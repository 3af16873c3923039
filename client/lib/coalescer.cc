#include "client/lib/coalescer.h"

#include <memory>
#include <utility>

namespace netpol::client::internal {

Coalescer::Coalescer(SendFn send, absl::Duration delay, size_t max_batch)
    : send_(std::move(send)),
      delay_(delay),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      flusher_([this] { FlusherLoop(); }) {}

Coalescer::~Coalescer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  flusher_.join();
}

Decision Coalescer::Check(const Connection& connection) {
  std::future<Decision> answer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_.empty()) oldest_ = absl::Now();
    queued_.push_back(connection);
    waiters_.emplace_back();
    answer = waiters_.back().get_future();
    // The flusher sleeps until the delay expires; wake it only when it has
    // something new to decide: a first entry or a full batch.
    if (queued_.size() == 1 || queued_.size() >= max_batch_) {
      wake_.notify_one();
    }
  }
  return answer.get();
}

void Coalescer::FlusherLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;  // stopping, nothing left
    const absl::Time due = oldest_ + delay_;
    wake_.wait_until(lock, absl::ToChronoTime(due), [this] {
      return stopping_ || queued_.size() >= max_batch_;
    });
    // Take at most max_batch_; the rest starts a new window now.
    std::vector<Connection> batch;
    std::vector<std::promise<Decision>> waiters;
    if (queued_.size() <= max_batch_) {
      batch.swap(queued_);
      waiters.swap(waiters_);
    } else {
      batch.assign(std::make_move_iterator(queued_.begin()),
                   std::make_move_iterator(queued_.begin() + max_batch_));
      waiters.assign(std::make_move_iterator(waiters_.begin()),
                     std::make_move_iterator(waiters_.begin() + max_batch_));
      queued_.erase(queued_.begin(), queued_.begin() + max_batch_);
      waiters_.erase(waiters_.begin(), waiters_.begin() + max_batch_);
      oldest_ = absl::Now();
    }
    lock.unlock();
    Flush(std::move(batch), std::move(waiters));
    lock.lock();
  }
}

void Coalescer::Flush(std::vector<Connection> connections,
                      std::vector<std::promise<Decision>> waiters) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  connections_.fetch_add(connections.size(), std::memory_order_relaxed);
  // std::function needs a copyable callable: share the promises.
  auto shared =
      std::make_shared<std::vector<std::promise<Decision>>>(std::move(waiters));
  send_(std::move(connections), [shared](std::vector<Decision> decisions) {
    for (size_t i = 0; i < shared->size(); ++i) {
      (*shared)[i].set_value(std::move(decisions[i]));
    }
  });
}

}  // namespace netpol::client::internal
