// A request to stop a long job early and keep its work. The stop signals raise it
// (util/stop_signals.h), tests raise it by hand, and the training loop reads it between steps.
// Work that may take minutes inside one step of the loop (a quality evaluation) is abandoned
// instead of finished: inside an AbandonOnStop scope, abandon_if_stopped() throws WorkAbandoned
// once the request is raised, so the loop can checkpoint within seconds of the signal.
#pragma once
#include <atomic>
#include <stdexcept>

namespace wgan {

class StopRequest {
 public:
  enum Level : int {
    kNone = 0,
    kStop = 1,     // checkpoint, then the final grid and report, then stop
    kStopNow = 2,  // a person insisted (a second Ctrl-C): checkpoint only
  };
  // Raises the level to `level` (never lowers it). Lock-free, so a signal handler may call it.
  void raise(Level level) noexcept {
    int now = level_.load();
    while (now < level && !level_.compare_exchange_weak(now, level)) {
    }
  }
  Level level() const noexcept { return static_cast<Level>(level_.load()); }
  bool raised() const noexcept { return level() != kNone; }

 private:
  std::atomic<int> level_{kNone};
  static_assert(std::atomic<int>::is_always_lock_free, "a signal handler raises it");
};

// What abandon_if_stopped() throws: the work in progress was given up because of a stop request.
class WorkAbandoned : public std::runtime_error {
 public:
  WorkAbandoned() : std::runtime_error("abandoned for a stop request") {}
};

// While alive, abandon_if_stopped() on this thread throws once `request` (may be null) is raised.
// Scopes nest; the innermost one counts.
class AbandonOnStop {
 public:
  explicit AbandonOnStop(const StopRequest* request);
  ~AbandonOnStop();
  AbandonOnStop(const AbandonOnStop&) = delete;
  AbandonOnStop& operator=(const AbandonOnStop&) = delete;

 private:
  const StopRequest* previous_;
};

// Called between the pieces of long work (batches of generated images, feature passes): throws
// WorkAbandoned when this thread's AbandonOnStop request is raised; nothing outside a scope.
void abandon_if_stopped();

}  // namespace wgan
