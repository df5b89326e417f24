// The integrity of zip archives: torch.save's files and LibTorch's checkpoints are zips whose every
// record carries the CRC-32 its writer computed. LibTorch's reader never checks them (PyTorch
// builds miniz with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS), so a byte changed on disk or in a copy
// loads as a different weight without a word. This reads every record through libarchive, which
// recomputes each CRC-32, before the file is trusted.
#pragma once
#include <cstdint>
#include <string>

namespace wgan {

struct ZipRecordsSummary {
  int64_t records = 0;  // records read, each matching its CRC-32
  int64_t bytes = 0;    // their uncompressed bytes
};

// Whether this build checks zip records (libarchive was found when it was configured).
bool zip_records_checkable();

// Reads every record of the zip archive at `path` and checks its CRC-32 and size. Throws UserError
// "`what` PATH is damaged: ..." naming the record and the mismatch (or the structural problem:
// truncated, not a zip). Without libarchive in the build it checks nothing and returns zeros.
ZipRecordsSummary verify_zip_records(const std::string& path, const std::string& what);

}  // namespace wgan
