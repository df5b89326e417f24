#include "wgan/dist/launcher.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "wgan/util/error.h"
#include "wgan/util/stop_signals.h"

namespace wgan {

namespace {

// A TCP port the kernel says is free now (bound and released), for rank 0's TCPStore.
int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw UserError("--nproc: cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw UserError("--nproc: cannot find a free local port; set MASTER_PORT");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int take_nproc_flag(std::vector<std::string>& args) {
  int nproc = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value;
    size_t count = 0;
    if (args[i] == "--nproc") {
      if (i + 1 >= args.size()) throw UserError("--nproc needs a number of worker processes");
      value = args[i + 1];
      count = 2;
    } else if (args[i].rfind("--nproc=", 0) == 0) {
      value = args[i].substr(8);
      count = 1;
    } else {
      continue;
    }
    try {
      size_t used = 0;
      nproc = std::stoi(value, &used);
      if (used != value.size() || nproc < 1) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw UserError("--nproc '" + value + "' must be a positive number of worker processes");
    }
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i + count));
    --i;
  }
  return nproc;
}

int run_local_workers(int nproc, const std::vector<std::string>& args, int grace_s) {
  const char* port_env = std::getenv("MASTER_PORT");
  const std::string port = port_env && *port_env ? port_env : std::to_string(free_local_port());
  // A stop signal to the launcher alone (kill PID, docker stop, a supervisor) is passed on to the
  // workers once; the launcher then waits for their checkpoints and exits with their status. The
  // workers start with the stop signals blocked (the mask survives exec) until their own handlers
  // are in place, so a signal in their first moments is not lost.
  const StopRequest& stop = install_stop_signals(
      {"\nwgan: passing the stop on to the workers; they write a checkpoint and stop after this step\n",
       "\nwgan: passing the second Ctrl-C on to the workers: checkpoint only, no grid or report\n"});
  const sigset_t stop_signals = stop_signal_set();
  sigset_t before;
  ::sigprocmask(SIG_BLOCK, &stop_signals, &before);
  const pid_t launcher = ::getpid();
  std::vector<pid_t> workers;
  for (int rank = 0; rank < nproc; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) throw UserError("--nproc: fork failed");
    if (pid == 0) {
      // No worker outlives its launcher, even one killed with -9: the kernel sends this worker a
      // SIGTERM when the launcher dies, and the worker stops as it does on any SIGTERM.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != launcher) ::_exit(128 + SIGTERM);  // it died before prctl
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      std::vector<char*> argv;
      std::string self = "/proc/self/exe";
      argv.push_back(self.data());
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(self.c_str(), argv.data());
      std::perror("wgan --nproc: exec");
      ::_exit(127);
    }
    workers.push_back(pid);
  }
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  std::cerr << "started " << nproc << " workers (Gloo/NCCL rendezvous on 127.0.0.1:" << port << ")\n";

  auto signal_workers = [&workers](int signal_number) {
    for (auto w : workers)
      if (w > 0) ::kill(w, signal_number);
  };
  int first_failure = 0;
  int running = nproc;
  auto deadline = std::chrono::steady_clock::time_point::max();
  bool terminated = false, interrupted = false;
  StopRequest::Level passed_on = StopRequest::kNone;
  while (running > 0) {
    // A stop the launcher received goes to the workers once per level. When the signal came from
    // the terminal or to the whole process group they have it already: a duplicate changes nothing.
    if (stop.level() > passed_on) {
      passed_on = stop.level();
      signal_workers(passed_on == StopRequest::kStopNow ? SIGINT : SIGTERM);
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      --running;
      const int code = exit_code_of(status);
      for (auto& w : workers)
        if (w == pid) {
          if (code == static_cast<int>(ExitCode::kInterrupted)) {
            // Stopped by a signal after its checkpoint: the others stop at the same step.
            interrupted = true;
          } else if (code != 0 && first_failure == 0) {
            first_failure = code;
            std::cerr << "wgan: worker " << (&w - workers.data()) << " exited with code " << code
                      << "; the others get " << grace_s << " s to stop\n";
            deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_s);
          }
          w = -1;
        }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      signal_workers(terminated ? SIGKILL : SIGTERM);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      terminated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // A failure (a worker that could not save, say) outranks the others' clean interrupt.
  if (first_failure != 0) return first_failure;
  return interrupted ? static_cast<int>(ExitCode::kInterrupted) : 0;
}

}  // namespace wgan
