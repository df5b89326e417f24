// SIGINT, SIGTERM and SIGHUP as one StopRequest for the whole process: every one of them means
// "finish this step, write the checkpoint, the final grid and the report, then stop", however many
// arrive. Supervisors and shells often deliver one stop twice within microseconds (GNU timeout
// signals the command and then its process group; Slurm's scancel, `kill -TERM -PGID` and a
// terminal's Ctrl-C under a forwarding wrapper do the same), so a duplicate never escalates. Only
// a person does: a SIGINT at least a second after the first signal raises kStopNow (skip the grid
// and report, still write the checkpoint). Nothing ever kills the process from the handler:
// supervisors escalate with SIGKILL after their own grace period.
#pragma once
#include <signal.h>

#include "wgan/util/stop_request.h"

namespace wgan {

struct StopSignalMessages {
  // Written to stderr by the handler (async-signal-safe write(2)); null says nothing. Static strings.
  const char* on_first = nullptr;   // on the first signal
  const char* on_insist = nullptr;  // on a person's second Ctrl-C
};

// Installs the handlers (replacing earlier ones), unblocks the three signals (a launcher forks its
// workers with them blocked, so that none is lost before this call), and ignores SIGPIPE (a closed
// stdout or stderr, `| tee` killed by the same Ctrl-C, is then a failed write, not the end of the
// process before its checkpoint). Returns the process's request.
StopRequest& install_stop_signals(const StopSignalMessages& messages);

// The request the handlers raise (also before install_stop_signals, never raised then).
StopRequest& process_stop_request();

// The three stop signals as a set, for sigprocmask.
sigset_t stop_signal_set();

}  // namespace wgan
