// `wgan check PATH...`: verifies what wgan would read back, one line per file, without changing
// anything. PATH is a run directory (config.json, metrics.jsonl, every checkpoint, the dataset it
// trains on), a checkpoint or torch.save file, or a prepared dataset. A checkpoint's zip records
// are checked against their CRC-32s (io/zip_records.h), a dataset's images against its manifest's
// CRC-32, JSON files parse.
#pragma once
#include <string>
#include <vector>

namespace wgan {

struct CheckLine {
  std::string status;  // "ok", "DAMAGED", "differs" (readable, but not what the checkpoints hold), "skipped"
  std::string file;    // the file or folder checked
  std::string detail;  // what was verified, or what is wrong
};

// Checks each of `paths`; throws UserError when a path does not exist or is none of the above.
std::vector<CheckLine> run_check(const std::vector<std::string>& paths);

// Whether any line is DAMAGED (the command then exits 1).
bool any_damaged(const std::vector<CheckLine>& lines);

}  // namespace wgan
