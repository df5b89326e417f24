// The one writer: a failed write (injected through the WGAN_FAULT seam) is a UserError naming the
// file and the system's reason, leaves no temporary file, and leaves the previous version intact.
#include "wgan/util/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "wgan/util/error.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

int64_t temp_files_in(const std::string& dir) {
  int64_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) ++n;
  return n;
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::fresh_dir("atomic");
    fs::create_directories(dir_);
  }
  void TearDown() override {
    set_write_fault_for_testing("");
    fs::remove_all(dir_);
  }
  // Runs `write`, expects a UserError whose message names `file` and `reason`.
  template <typename Write>
  void expect_failure(Write write, const std::string& file, const std::string& reason) {
    try {
      write();
      ADD_FAILURE() << "the injected fault did not fail the write of " << file;
    } catch (const UserError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(file), std::string::npos) << message;
      EXPECT_NE(message.find(reason), std::string::npos) << message;
      EXPECT_EQ(message.find(".tmp."), std::string::npos) << "names the temporary file: " << message;
    }
    EXPECT_EQ(temp_files_in(dir_), 0);
  }
  std::string dir_;
};

TEST_F(AtomicFileTest, EveryErrnoIsNamedAndThePreviousFileStays) {
  const std::string path = dir_ + "/config.json";
  write_file_atomic(path, "previous");
  for (const auto& [name, error] : {std::pair{"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EROFS", EROFS}, {"EACCES", EACCES}}) {
    set_write_fault_for_testing(std::string(name) + ":config.json");
    expect_failure([&] { write_file_atomic(path, std::string(100000, 'x')); }, path, std::strerror(error));
    EXPECT_EQ(read_file(path), "previous") << name;
  }
  set_write_fault_for_testing("");
  write_file_atomic(path, "next");  // the seam off, the same writer succeeds
  EXPECT_EQ(read_file(path), "next");
}

TEST_F(AtomicFileTest, ADiskThatFillsMidFileWritesShortThenFails) {
  const std::string path = dir_ + "/images.npy";
  write_file_atomic(path, "old dataset");
  // 1000 bytes fit, the next ones do not: the first write is cut short, the retry gets ENOSPC.
  set_write_fault_for_testing("ENOSPC@1000:images.npy");
  expect_failure(
      [&] {
        StagedFile file(path);
        for (int i = 0; i < 10; ++i) file.sink().write(std::string(300, 'a'));
        file.commit();
      },
      path, "No space left on device");
  EXPECT_EQ(read_file(path), "old dataset");
}

TEST_F(AtomicFileTest, TheNthWriteFailsAndOnlyMatchingFilesCount) {
  set_write_fault_for_testing("EIO#3:target");
  const std::string other = dir_ + "/other.txt", target = dir_ + "/target.txt";
  write_file_atomic(other, "a");   // not matching: not counted
  write_file_atomic(target, "1");  // call 1
  write_file_atomic(target, "2");  // call 2
  write_file_atomic(other, "b");
  expect_failure([&] { write_file_atomic(target, "3"); }, target, std::strerror(EIO));
  EXPECT_EQ(read_file(target), "2");
  EXPECT_EQ(read_file(other), "b");
}

TEST_F(AtomicFileTest, AFailedAppendLeavesNoHalfLine) {
  const std::string path = dir_ + "/metrics.jsonl";
  append_line(path, "{\"step\":1}");
  append_line(path, "{\"step\":2}");
  // The line is cut after 5 bytes; the log must end where it ended before.
  set_write_fault_for_testing("ENOSPC@5:metrics.jsonl");
  expect_failure([&] { append_line(path, "{\"step\":3,\"long\":\"" + std::string(200, 'z') + "\"}"); }, path,
                 "No space left on device");
  EXPECT_EQ(read_file(path), "{\"step\":1}\n{\"step\":2}\n");
}

TEST_F(AtomicFileTest, AnUncommittedStagedFileRemovesItsTemporary) {
  const std::string path = dir_ + "/a.bin";
  {
    StagedFile file(path);
    file.sink().write("partial");
    EXPECT_EQ(temp_files_in(dir_), 1);
  }
  EXPECT_EQ(temp_files_in(dir_), 0);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(AtomicFileTest, StaleTemporaryFilesOfDeadProcessesAreRemoved) {
  // A pid that surely is not running: a child that has exited and been reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  fs::create_directories(dir_ + "/checkpoints");
  const std::string dead = dir_ + "/checkpoints/ckpt-00000045.pt.tmp." + std::to_string(child);
  const std::string alive = dir_ + "/report.html.tmp." + std::to_string(::getppid());  // our parent runs
  const std::string not_ours = dir_ + "/notes.tmp.txt";
  write_file_atomic(dead, std::string(4096, 'd'));
  write_file_atomic(alive, "a");
  write_file_atomic(not_ours, "n");
  const auto removed = remove_stale_temp_files(dir_);
  EXPECT_EQ(removed.count, 1);
  EXPECT_EQ(removed.bytes, 4096);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(not_ours));
}

}  // namespace
}  // namespace wgan
