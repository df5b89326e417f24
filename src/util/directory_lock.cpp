#include "wgan/util/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iterator>

#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace wgan {

namespace {

// What the holder wrote: "pid PID since TIME"; "" when it has not written it yet.
std::string holder_of(int fd) {
  char text[200] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder = n > 0 ? std::string(text, static_cast<size_t>(n)) : "";
  if (const auto end = holder.find('\n'); end != std::string::npos) holder.resize(end);
  for (char& c : holder)  // never print raw bytes of a file someone else may have written
    if (c < 0x20 || c > 0x7e) c = '?';
  return holder;
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& dir, const std::string& activity) : dir_(dir) {
  std::error_code ec;
  created_dir_ = !std::filesystem::exists(dir, ec);
  ensure_writable_dir(dir);
  const std::string path = (std::filesystem::path(dir) / kFileName).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw UserError("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = error == EWOULDBLOCK ? holder_of(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK)
      throw UserError("cannot lock " + path + ": " + std::strerror(error) +
                      " (does this file system support flock?)");
    throw UserError(dir + " is being " + activity + " by " +
                    (holder.empty() ? std::string("another process") : "process " + holder) +
                    " (its lock: " + path + "); wait for it to end, stop it, or use another --run-dir/--name");
  }
  // Ours: say who holds it, for the next one that asks.
  char when[40];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  const std::string holder = std::to_string(::getpid()) + " since " + when + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, holder.data(), holder.size(), 0) < 0) {
    // The lock is held either way; only the message of a refused second process is poorer.
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ < 0) return;
  // A start that failed before writing anything leaves no run directory behind: only a directory
  // this lock created and that holds nothing but the lock goes.
  std::error_code ec;
  const auto lock_file = std::filesystem::path(dir_) / kFileName;
  if (created_dir_) {
    auto it = std::filesystem::directory_iterator(dir_, ec);
    const bool only_the_lock = !ec && it != std::filesystem::directory_iterator() && it->path() == lock_file &&
                               std::next(it) == std::filesystem::directory_iterator();
    if (only_the_lock) {
      std::filesystem::remove(lock_file, ec);
      std::filesystem::remove(dir_, ec);
    }
  }
  ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace wgan
