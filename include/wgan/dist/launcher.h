// `wgan train --nproc N`: starts N local workers of this same command with the torchrun
// environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR=127.0.0.1, a free MASTER_PORT) and
// waits for them. When one fails, the others get `grace_s` seconds to notice and stop on their
// own, then are terminated, so the job never hangs. SIGINT, SIGTERM and SIGHUP to the launcher are
// passed on to the workers once (they checkpoint and stop), and a worker gets SIGTERM from the
// kernel when its launcher dies, however it died.
#pragma once
#include <string>
#include <vector>

namespace wgan {

// `args`: the command line without the program name and without --nproc. Returns the exit
// code: 0 when every worker succeeded; else the first failing worker's (128 + signal if killed);
// else ExitCode::kInterrupted when they stopped on a signal after their checkpoint.
int run_local_workers(int nproc, const std::vector<std::string>& args, int grace_s = 60);

// Removes "--nproc N" / "--nproc=N" from argv; returns N (0 when absent). UserError when malformed.
int take_nproc_flag(std::vector<std::string>& args);

}  // namespace wgan
