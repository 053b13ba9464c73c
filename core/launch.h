// core/launch.h — the launch record: everything a child needs to know to run its function. The
// core encodes it in the parent; the backend carries the bytes; the core decodes them in the child.
#ifndef MPROC_CORE_LAUNCH_H
#define MPROC_CORE_LAUNCH_H

#include <cstdint>
#include <string>

#include "mproc/common.h"

struct mproc__launch {
  std::string fn_name;       // empty when the backend runs a local callable (FORK)
  std::string process_name;  // the child's mproc_current_name()
  std::string identity;      // "1:2": the child's position in the process tree, for its children's names
  int64_t parent_pid = 0;
  bool daemon = false;
  std::string args;          // the encoded arguments, opaque to mproc
};

std::string mproc__launch_encode(const mproc__launch& launch);

// MPROC_E_DECODE when the bytes are not a launch record of this version.
mproc_status mproc__launch_decode(const void* data, size_t len, mproc__launch* out);

#endif  // MPROC_CORE_LAUNCH_H
