// UserError: a problem with the user's input (a flag, a path, a file). The CLI prints its
// message on one line and exits with ExitCode::kUserError; it is never a crash.
#pragma once
#include <stdexcept>
#include <string>

namespace wgan {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

// Every exit status of the `wgan` program (README "Exit codes"), in one place.
enum class ExitCode : int {
  kFinished = 0,       // done
  kUserError = 1,      // bad input: one line naming the flag or file
  kUsage = 2,          // bad command line (unknown flag, missing argument)
  kDiverged = 3,       // training diverged (NaN/Inf); the last good checkpoint is kept
  kInterruptedUnsaved = 4,  // stopped by a signal, but its checkpoint could not be written (the message says why)
  kInterrupted = 130,  // stopped by SIGINT / SIGTERM / SIGHUP after writing a checkpoint (or before training began)
};

}  // namespace wgan
