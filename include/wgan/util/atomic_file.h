// Atomic file writes: write to a temporary file beside the target, flush it to disk, then
// rename over the target, so a crash mid-write leaves the previous file intact.
#pragma once
#include <functional>
#include <string>

namespace wgan {

// Writes `contents` to `path` atomically. Throws UserError naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& contents);

// Calls `writer(temp_path)` to produce the file, then renames it onto `path`. On any failure the
// temporary file is removed and `path` is untouched.
void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& writer);

// Appends one line (a newline is added) and flushes it, for JSON-lines logs.
void append_line(const std::string& path, const std::string& line);

// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const std::string& path);

// Creates `dir` and its parents; throws UserError naming the directory when it cannot, or when
// it exists but cannot be written.
void ensure_writable_dir(const std::string& dir);

}  // namespace wgan
