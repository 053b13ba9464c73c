// core/registry.h — the table of functions that can run in another process, and a running call.
#ifndef MPROC_CORE_REGISTRY_H
#define MPROC_CORE_REGISTRY_H

#include <string>

#include "mproc/registry.h"

struct mproc__registered {
  mproc_fn fn = nullptr;
  void* userdata = nullptr;
};

// Registers one of the library's own functions under a name in the reserved "mproc." prefix,
// which mproc_register refuses to users. Called from static initialisers in core.
void mproc__register_internal(const char* name, mproc_fn fn, void* userdata);

// Looks up name; false when nothing is registered under it.
bool mproc__registry_find(const std::string& name, mproc__registered* out);

// What a function reported while it ran (mproc_call_fail / mproc_call_set_result).
struct mproc_call {
  bool failed = false;
  std::string fail_type;
  std::string fail_message;
  bool has_result = false;
  std::string result;
  // A pool worker's batch of results: when set, the result goes straight onto its end as a batch
  // item (u32 length, bytes) instead of into `result`, saving a copy per element.
  std::string* batch = nullptr;
  size_t batch_mark = 0;  // where this call's item starts in *batch
};

#endif  // MPROC_CORE_REGISTRY_H
