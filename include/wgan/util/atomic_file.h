// The one writer every file `wgan` writes goes through (checkpoints, datasets, grids, metrics,
// reports, configs, exports). Whole files are written atomically: into a temporary file beside
// the target (NAME.tmp.PID), synced to disk, then renamed over the target, so a crash or a full
// disk leaves the previous version in place. Every failure (ENOSPC, EIO, EROFS, EACCES, a short
// write, a failed sync or close) is a UserError naming the file and the system's reason, and the
// temporary file is removed. Nothing here throws from a destructor.
//
// Test seam: the environment variable WGAN_FAULT makes writes fail on purpose, as a full or
// broken disk would: ERRNO[#N][@BYTES][:PATH_PART]
//   ERRNO      ENOSPC, EIO, EROFS, EACCES or EDQUOT: the error the failing write returns
//   #N         the N-th write call (counting from 1) and every later one fails (default: the first)
//   @BYTES     writes fail once BYTES bytes have been written, the one crossing it written short
//   :PATH_PART only files whose path contains PATH_PART are affected (and counted)
// e.g. WGAN_FAULT=ENOSPC@3000000 is a disk that fills after 3 MB; WGAN_FAULT=EIO:metrics.jsonl
// breaks the metrics log only.
// A second seam, WGAN_SLOW_WRITE=MS[:PATH_PART], is a slow disk: opening a file whose path contains
// PATH_PART for writing takes MS milliseconds longer (signal tests aim at a write in progress).
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace wgan {

// An open file being written. write() writes everything or throws UserError("cannot write PATH:
// REASON"); finish() syncs and closes, reporting their errors too. The destructor closes quietly.
class FileSink {
 public:
  enum class Mode { kTruncate, kAppend };
  // `file` is opened; `shown` is the name errors give (the target, not its temporary file).
  FileSink(const std::string& file, const std::string& shown, Mode mode);
  ~FileSink();
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(const void* data, size_t size);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  void finish();
  // Cuts the file back to `size` bytes (append mode: undo a partial line). Best effort.
  void truncate_quietly(size_t size) noexcept;

 private:
  [[noreturn]] void fail(const char* what, int error) const;
  int fd_ = -1;
  std::string file_, shown_;
};

// A file written in full and then put in place: NAME.tmp.PID while writing, renamed onto NAME by
// commit(). Destroyed without commit (an error, an exception), it removes its temporary file.
class StagedFile {
 public:
  explicit StagedFile(const std::string& path);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  FileSink& sink() { return sink_; }
  // Syncs and closes the temporary file (its errors are UserErrors), without renaming yet.
  void finish();
  // Renames the finished temporary file onto the target.
  void commit();

 private:
  std::string path_, temp_;
  FileSink sink_;
  bool finished_ = false, committed_ = false;
};

// Writes `contents` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& contents);

// Calls `writer(sink)` to produce the file, then puts it in place atomically.
void write_atomic_with(const std::string& path, const std::function<void(FileSink&)>& writer);

// Appends one line (a newline is added) and syncs it, for JSON-lines logs. On failure the file is
// cut back to its previous length, so a log never ends in half a line.
void append_line(const std::string& path, const std::string& line);

// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const std::string& path);

// Creates `dir` and its parents; throws UserError naming the directory when it cannot, or when
// it exists but cannot be written.
void ensure_writable_dir(const std::string& dir);
// The same for the folder a file is about to be written into (nothing to do for a bare file name).
void ensure_parent_dir(const std::string& file);

// Removes the temporary files (NAME.tmp.PID) that processes no longer running left in `dir` and its
// subfolders (a crash mid-write, kill -9). Returns how many were removed and their total size.
struct StaleTempFiles {
  int64_t count = 0;
  int64_t bytes = 0;
};
StaleTempFiles remove_stale_temp_files(const std::string& dir);
// The same, printing one line to stderr when it removed anything (unless `quiet`).
void remove_stale_temp_files_and_say(const std::string& dir, bool quiet);

// Tests: replace WGAN_FAULT's rule for this process ("" = none) and reset the write counters.
void set_write_fault_for_testing(const std::string& spec);

}  // namespace wgan
