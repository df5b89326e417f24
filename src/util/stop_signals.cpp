#include "wgan/util/stop_signals.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace wgan {

namespace {

StopRequest g_request;
StopSignalMessages g_messages;
// When the first stop signal arrived (CLOCK_MONOTONIC nanoseconds; 0 = none yet).
std::atomic<int64_t> g_first_signal_ns{0};
// How far apart two Ctrl-Cs must be to be a person insisting rather than one stop delivered twice.
constexpr int64_t kInsistAfterNs = 1'000'000'000;

int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

void say(const char* message) {
  if (!message) return;
  const ssize_t ignored = ::write(STDERR_FILENO, message, std::strlen(message));
  (void)ignored;
}

void on_stop_signal(int signal_number) {
  const int saved_errno = errno;
  const int64_t now = monotonic_ns();
  int64_t first = 0;
  if (g_first_signal_ns.compare_exchange_strong(first, now)) {
    g_request.raise(StopRequest::kStop);
    say(g_messages.on_first);
  } else if (signal_number == SIGINT && now - first >= kInsistAfterNs && g_request.level() < StopRequest::kStopNow) {
    g_request.raise(StopRequest::kStopNow);
    say(g_messages.on_insist);
  }
  errno = saved_errno;
}

}  // namespace

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  return set;
}

StopRequest& process_stop_request() { return g_request; }

StopRequest& install_stop_signals(const StopSignalMessages& messages) {
  g_messages = messages;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // Block the other stop signals while one is handled: the handler's two steps stay together.
  action.sa_mask = stop_signal_set();
  action.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, nullptr);
  const sigset_t set = stop_signal_set();
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  return g_request;
}

}  // namespace wgan
