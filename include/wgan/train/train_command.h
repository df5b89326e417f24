// `wgan train` as a library call: dataset loading, run-directory safety, resume, training.
#pragma once
#include <atomic>
#include <set>
#include <string>

#include "wgan/train/train_config.h"

namespace wgan {

struct TrainCommand {
  TrainConfig config;
  std::string resume;                  // run directory or checkpoint file to continue from
  bool overwrite = false;              // start over in a run directory that already holds a run
  bool dry_run = false;                // print the resolved config and exit
  bool quiet = false;                  // no progress bars (start, end and interrupt lines stay)
  std::set<std::string> given_flags;   // flags the user set explicitly ("--width", ...)
  // Distributed (joined when WORLD_SIZE > 1 is in the environment, see wgan/dist)
  std::string dist_backend = "auto";   // gloo, nccl or auto
  int dist_timeout_s = 300;            // a collective waiting longer than this fails
  bool sync_bn = false;                // generator BatchNorm statistics over all ranks
};

// Flags that may change when resuming; every other one is fixed by the checkpoint.
const std::set<std::string>& resumable_flags();

enum class TrainExit { kFinished = 0, kInterrupted = 130, kDiverged = 3 };

// Throws UserError for bad input. `stop` is raised by the signal handler.
TrainExit run_train(TrainCommand command, const std::atomic<bool>* stop);

}  // namespace wgan
