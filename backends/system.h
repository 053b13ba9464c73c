// backends/system.h — the system facet of the backend contract: facts about this process and this
// machine.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_SYSTEM_H
#define MPROC_BACKENDS_SYSTEM_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "mproc/mproc.h"

// ---- Facts about this process ---------------------------------------------------------------------

int mproc__cpu_count();
// "SIGKILL" for 9 (the platform's name for a signal number an exit code reported), or "signal N".
std::string mproc__signal_name(int sig);
// The platform's name for a crash code (Win32: "STATUS_ACCESS_VIOLATION"), or "" when it has none
// (POSIX reports crashes as signals and never says `crashed`).
std::string mproc__crash_name(uint32_t code);
// True while a process with this id exists (for owner-died checks outside a mutex).
bool mproc__process_alive(int64_t pid);
int64_t mproc__current_pid();
int64_t mproc__os_parent_pid();

#endif  // MPROC_BACKENDS_SYSTEM_H
