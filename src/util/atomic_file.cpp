#include "wgan/util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

// ---- The WGAN_FAULT test seam (see the header).

struct FaultRule {
  int error = 0;            // errno the failing write returns
  int64_t from_call = 1;    // #N: this call and later ones fail
  int64_t after_bytes = -1;  // @BYTES: fail once this much is written (-1: use from_call)
  std::string path_part;    // only paths containing this
  int64_t calls = 0;        // matching write calls so far
  int64_t written = 0;      // matching bytes written so far
};

int errno_from_name(const std::string& name) {
  if (name == "ENOSPC") return ENOSPC;
  if (name == "EIO") return EIO;
  if (name == "EROFS") return EROFS;
  if (name == "EACCES") return EACCES;
  if (name == "EDQUOT") return EDQUOT;
  return 0;
}

std::optional<FaultRule> parse_fault(const std::string& spec) {
  if (spec.empty()) return std::nullopt;
  FaultRule rule;
  std::string head = spec;
  const auto colon = head.find(':');
  if (colon != std::string::npos) {
    rule.path_part = head.substr(colon + 1);
    head = head.substr(0, colon);
  }
  const auto at = head.find('@');
  if (at != std::string::npos) {
    rule.after_bytes = std::atoll(head.substr(at + 1).c_str());
    head = head.substr(0, at);
  }
  const auto hash = head.find('#');
  if (hash != std::string::npos) {
    rule.from_call = std::max<int64_t>(1, std::atoll(head.substr(hash + 1).c_str()));
    head = head.substr(0, hash);
  }
  rule.error = errno_from_name(head);
  if (rule.error == 0) {
    std::cerr << "warning: WGAN_FAULT='" << spec << "' names no known errno (ENOSPC, EIO, EROFS, EACCES, EDQUOT); "
                 "ignored\n";
    return std::nullopt;
  }
  return rule;
}

std::mutex g_fault_mutex;
bool g_fault_loaded = false;
std::optional<FaultRule> g_fault;

// Before a write of `size` bytes to `file`: the errno to fail with (0: go ahead), possibly
// shortening `size` so that a byte limit is met exactly (a short write).
int injected_error(const std::string& file, size_t& size) {
  std::lock_guard<std::mutex> lock(g_fault_mutex);
  if (!g_fault_loaded) {
    const char* spec = std::getenv("WGAN_FAULT");
    g_fault = parse_fault(spec ? spec : "");
    g_fault_loaded = true;
  }
  if (!g_fault || file.find(g_fault->path_part) == std::string::npos) return 0;
  FaultRule& rule = *g_fault;
  ++rule.calls;
  if (rule.after_bytes >= 0) {
    if (rule.written >= rule.after_bytes) return rule.error;
    size = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size), rule.after_bytes - rule.written));
    rule.written += static_cast<int64_t>(size);
    return 0;
  }
  return rule.calls >= rule.from_call ? rule.error : 0;
}

// WGAN_SLOW_WRITE=MS[:PATH_PART]: the wait before opening `file` for writing.
void wait_if_slow_disk(const std::string& file) {
  static const std::pair<int64_t, std::string> rule = [] {
    const char* spec = std::getenv("WGAN_SLOW_WRITE");
    if (!spec || !*spec) return std::pair<int64_t, std::string>(0, "");
    const std::string text = spec;
    const auto colon = text.find(':');
    return std::pair<int64_t, std::string>(std::atoll(text.substr(0, colon).c_str()),
                                           colon == std::string::npos ? "" : text.substr(colon + 1));
  }();
  if (rule.first > 0 && file.find(rule.second) != std::string::npos)
    std::this_thread::sleep_for(std::chrono::milliseconds(rule.first));
}

std::string temp_path_for(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

// NAME.tmp.PID -> PID (0 when the name is not one of ours).
pid_t temp_file_owner(const std::string& name) {
  const auto mark = name.rfind(".tmp.");
  if (mark == std::string::npos || mark + 5 >= name.size()) return 0;
  const std::string digits = name.substr(mark + 5);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) return 0;
  return static_cast<pid_t>(std::atol(digits.c_str()));
}

bool process_is_running(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

// ---- FileSink

FileSink::FileSink(const std::string& file, const std::string& shown, Mode mode) : file_(file), shown_(shown) {
  wait_if_slow_disk(file);
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == Mode::kAppend ? O_APPEND : O_TRUNC);
  fd_ = ::open(file.c_str(), flags, 0644);
  if (fd_ < 0) fail("open", errno);
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSink::fail(const char* what, int error) const {
  std::string message = "cannot write " + shown_ + ": " + std::strerror(error);
  if (std::strcmp(what, "write") != 0) message += std::string(" (") + what + ")";
  throw UserError(message);
}

void FileSink::write(const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    size_t chunk = size;
    if (const int error = injected_error(file_, chunk)) fail("write", error);
    const ssize_t n = ::write(fd_, bytes, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    if (n == 0) fail("write", EIO);  // a write that makes no progress would loop for ever
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

void FileSink::finish() {
  if (fd_ < 0) return;
  if (::fsync(fd_) != 0 && errno != EINVAL) fail("fsync", errno);  // EINVAL: a pipe or special file
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close", errno);
}

void FileSink::truncate_quietly(size_t size) noexcept {
  if (::truncate(file_.c_str(), static_cast<off_t>(size)) != 0) {
    // Nothing more can be done: the caller is already reporting the write's own error.
  }
}

// ---- StagedFile

StagedFile::StagedFile(const std::string& path)
    : path_(path), temp_(temp_path_for(path)), sink_(temp_, path, FileSink::Mode::kTruncate) {}

StagedFile::~StagedFile() {
  if (!committed_) ::unlink(temp_.c_str());
}

void StagedFile::finish() {
  sink_.finish();
  finished_ = true;
}

void StagedFile::commit() {
  if (!finished_) finish();
  if (::rename(temp_.c_str(), path_.c_str()) != 0)
    throw UserError("cannot write " + path_ + ": " + std::strerror(errno) + " (rename)");
  committed_ = true;
}

// ---- Whole files and lines

void write_atomic_with(const std::string& path, const std::function<void(FileSink&)>& writer) {
  StagedFile file(path);
  writer(file.sink());
  file.commit();
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  write_atomic_with(path, [&](FileSink& out) { out.write(contents); });
}

void append_line(const std::string& path, const std::string& line) {
  struct stat before {};
  const size_t previous = ::stat(path.c_str(), &before) == 0 ? static_cast<size_t>(before.st_size) : 0;
  FileSink out(path, path, FileSink::Mode::kAppend);
  try {
    out.write(line + "\n");
    out.finish();
  } catch (const UserError&) {
    out.truncate_quietly(previous);
    throw;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void ensure_writable_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UserError("cannot create directory " + dir + ": " + ec.message());
  if (!fs::is_directory(dir)) throw UserError("not a directory: " + dir);
  if (::access(dir.c_str(), W_OK) != 0) throw UserError("directory is not writable: " + dir);
}

void ensure_parent_dir(const std::string& file) {
  const auto parent = fs::path(file).parent_path();
  if (!parent.empty()) ensure_writable_dir(parent.string());
}

// ---- Leftovers of crashed writers

StaleTempFiles remove_stale_temp_files(const std::string& dir) {
  StaleTempFiles removed;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return removed;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const pid_t owner = temp_file_owner(it->path().filename().string());
    if (owner <= 0 || owner == ::getpid() || process_is_running(owner)) continue;
    const auto size = static_cast<int64_t>(it->file_size(ec));
    if (fs::remove(it->path(), ec)) {
      ++removed.count;
      removed.bytes += size;
    }
  }
  return removed;
}

void remove_stale_temp_files_and_say(const std::string& dir, bool quiet) {
  const auto removed = remove_stale_temp_files(dir);
  if (removed.count > 0 && !quiet) {
    std::ostringstream size;
    size.precision(1);
    size << std::fixed << static_cast<double>(removed.bytes) / 1e6;
    std::cerr << "removed " << removed.count << " temporary file(s) (" << size.str() << " MB) that crashed runs left in "
              << dir << "\n";
  }
}

void set_write_fault_for_testing(const std::string& spec) {
  std::lock_guard<std::mutex> lock(g_fault_mutex);
  g_fault = parse_fault(spec);
  g_fault_loaded = true;
}

}  // namespace wgan
