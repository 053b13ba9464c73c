// core/self.h — what this process knows about itself: its name and place in the process tree,
// who started it, whether it is daemonic, and the default start method.
#ifndef MPROC_CORE_SELF_H
#define MPROC_CORE_SELF_H

#include <atomic>
#include <string>

#include "mproc/init.h"

struct mproc__self_state {
  std::string name = "MainProcess";
  std::string identity;      // "" in the main process, "1", "1:2", ... in children
  int64_t parent_pid = -1;   // -1: not started by mproc; ask the OS
  bool is_child = false;
  bool daemon = false;
  bool initialized = false;  // mproc_init ran
  std::atomic<int> child_counter{0};
  std::atomic<int> default_method{MPROC_START_DEFAULT};  // DEFAULT: the backend's choice
};

mproc__self_state& mproc__self();

// The child's name and identity for the next Process this process creates.
void mproc__next_child_identity(std::string* identity, std::string* default_name);

// Resolves MPROC_START_DEFAULT to the method in force.
mproc_start_method mproc__resolve_method(mproc_start_method method);

// Registers the exit-time join of children once (in the main process).
void mproc__ensure_exit_handler();

#endif  // MPROC_CORE_SELF_H
