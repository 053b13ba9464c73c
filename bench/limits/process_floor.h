// Shared by the floor binary's main and its start_join rows.
#ifndef MPROC_BENCH_LIMITS_PROCESS_FLOOR_H
#define MPROC_BENCH_LIMITS_PROCESS_FLOOR_H

namespace process_floor {
// argv[1] that makes a run of the floor binary exit as soon as main starts.
constexpr const char* kExitAtOnceFlag = "--mproc-floor-exit-at-once";
}  // namespace process_floor

#endif  // MPROC_BENCH_LIMITS_PROCESS_FLOOR_H
