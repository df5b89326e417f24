// Runs the built `wgan` executable (or any command line) for end-to-end tests: exit code and
// stdout+stderr together.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace wgan::test_support {

struct CliResult {
  int code;            // exit status, -1 when killed by a signal
  std::string output;  // stdout and stderr
};

// Runs a shell command line; stdout and stderr together.
inline CliResult run_shell(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer{};
  while (pipe && std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = pipe ? ::pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// `env`: variable assignments for this run only, e.g. "WGAN_FAULT=ENOSPC:ckpt-".
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  return run_shell((env.empty() ? "" : "env " + env + " ") + std::string(WGAN_CLI_PATH) + " " + args);
}

}  // namespace wgan::test_support
