// One writer per directory: an exclusive flock(2) on DIR/train.lock, held while the object lives.
// A second process that asks for it is refused at once, with the holder's PID and start time
// (which the holder writes into the file). The kernel releases a flock when its holder exits,
// however it exits (kill -9 included), so a lock never outlives its process and never needs
// cleaning up. On NFS, Linux emulates flock with POSIX byte-range locks that the server
// arbitrates, so two machines are kept apart too; file systems without lock support (some FUSE
// mounts) make the lock fail with a clear error rather than be ignored. A directory the lock
// created and that holds only the lock when it is released (a start that failed) is removed.
#pragma once
#include <string>

namespace wgan {

class DirectoryLock {
 public:
  // Creates `dir` if needed and takes its lock, or throws UserError "DIR is being ACTIVITY by process
  // PID since TIME (its lock: DIR/train.lock)". `activity`: "trained", say.
  DirectoryLock(const std::string& dir, const std::string& activity);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  static constexpr const char* kFileName = "train.lock";

 private:
  int fd_ = -1;
  std::string dir_;
  bool created_dir_ = false;
};

}  // namespace wgan
