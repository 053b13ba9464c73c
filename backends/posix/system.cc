// backends/posix/system.cc — facts about this process: CPUs it may use, its pid, its parent.
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "backends/backend.h"

int mproc__cpu_count() {
  // The affinity mask, not the machine: a process limited by taskset or a cgroup cpuset must not
  // start more workers than it may run.
  for (int ncpu = 1024; ncpu <= 1 << 20; ncpu *= 2) {
    cpu_set_t* set = CPU_ALLOC(static_cast<size_t>(ncpu));
    size_t size = CPU_ALLOC_SIZE(static_cast<size_t>(ncpu));
    if (::sched_getaffinity(0, size, set) == 0) {
      int n = CPU_COUNT_S(size, set);
      CPU_FREE(set);
      return n > 0 ? n : 1;
    }
    CPU_FREE(set);
    if (errno != EINVAL) break;
  }
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

int64_t mproc__current_pid() { return ::getpid(); }
int64_t mproc__os_parent_pid() { return ::getppid(); }

std::string mproc__crash_name(uint32_t /*code*/) { return std::string(); }

std::string mproc__signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);  // glibc >= 2.32; NULL for an unknown number
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

bool mproc__process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}
