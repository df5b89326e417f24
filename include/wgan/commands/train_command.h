// `wgan train` as a library call: options, dataset loading, run-directory safety, resume, training.
#pragma once
#include <string>

#include "wgan/run/train_config.h"
#include "wgan/util/error.h"
#include "wgan/util/stop_request.h"

namespace wgan {

struct TrainCommand {
  TrainOverrides given;                // the train options the user set (the rest are defaults, or the checkpoint's)
  std::string resume;                  // run directory or checkpoint file to continue from
  bool overwrite = false;              // start over in a run directory that already holds a run
  bool dry_run = false;                // print the resolved config and exit
  bool quiet = false;                  // no progress bars (start, end and interrupt lines stay)
  // Distributed (joined when WORLD_SIZE > 1 is in the environment, see wgan/dist)
  std::string dist_backend = "auto";   // gloo, nccl or auto
  int dist_timeout_s = 300;            // a collective waiting longer than this fails
  bool sync_bn = false;                // generator BatchNorm statistics over all ranks
};

// kFinished, kInterrupted (after the checkpoint, or before training began), kInterruptedUnsaved
// (the stop's checkpoint could not be written) or kDiverged. Throws UserError for bad input.
// `stop` is raised by the stop signals (util/stop_signals.h) or a test.
ExitCode run_train(const TrainCommand& command, const StopRequest* stop);

}  // namespace wgan
