// What the conformance suite needs from the operating system beyond mproc's public API: dying and
// killing, waiting on a raw handle, thread ids, stdio capture, environment, temp directories,
// running a program, and counting what a process holds open. One header, two implementations
// chosen by CMake: platform_posix.cc (Linux and other POSIX systems) and platform_win32.cc (Win32,
// built with mingw-w64 or MSVC). Tests include only this header, never an OS header, so the suite
// compiles for every platform; cases that are POSIX by nature live in *_posix_test.cc files.
//
// Handles are intptr_t, as in mproc's C ABI: a POSIX file descriptor or a Win32 HANDLE.
#ifndef MPROC_TESTS_CONFORMANCE_PLATFORM_H
#define MPROC_TESTS_CONFORMANCE_PLATFORM_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace mproc_test {
namespace platform {

// True when the suite is built for a POSIX system (the *_posix_test.cc cases run), false on
// Win32 (they skip, naming the reason).
#if defined(_WIN32)
inline constexpr bool kPosix = false;
#else
inline constexpr bool kPosix = true;
#endif

// ---- ending processes --------------------------------------------------------------------------

// Ends the calling process at once, as Process::kill() ends a child: no exit handlers, no stdio
// flush, locks and messages abandoned mid-way. A parent sees mproc::exitcode_killed.
// POSIX: raise(SIGKILL). Win32: TerminateProcess(self, kWin32KilledExitCode).
[[noreturn]] void die_now();

// The native exit code a Win32 process ends with when it is killed (Process::kill(), die_now()).
// The Win32 backend's kill() passes it to TerminateProcess and reports it as
// mproc::exitcode_killed; terminate() does the same with kWin32TerminatedExitCode. Python's
// Windows Popen uses 0x10000 for its one TerminateProcess code; the signal number is added so the
// two stay apart. Unused on POSIX, where the signal itself says it.
inline constexpr unsigned kWin32TerminatedExitCode = 0x10000u + 15u;
inline constexpr unsigned kWin32KilledExitCode = 0x10000u + 9u;

// Blocks the calling thread until the process is killed (never returns).
[[noreturn]] void sleep_forever();

// True while a process with this id exists (POSIX: kill(pid, 0); Win32: OpenProcess and
// GetExitCodeProcess == STILL_ACTIVE). A zombie still exists on POSIX.
bool pid_alive(std::int64_t pid);

// Ends the process with this id at once (SIGKILL / TerminateProcess). True when it was sent.
bool kill_pid(std::int64_t pid);

// ---- handles -----------------------------------------------------------------------------------

// Waits up to timeout_ms (-1: forever) until handle is readable (POSIX: poll POLLIN, which also
// reports end of file) or signalled (Win32: WaitForSingleObject; an anonymous pipe, which is not
// waitable, counts as ready once PeekNamedPipe sees data or a closed writer). Returns 1 when
// ready, 0 on timeout, -1 when the handle cannot be waited on.
int wait_readable(std::intptr_t handle, int timeout_ms);

// An anonymous OS pipe (pipe2 with O_CLOEXEC / CreatePipe, not inheritable): a plain byte stream
// that is not an mproc object, to hand to calls that must refuse or carry it.
class OsPipe {
 public:
  OsPipe();  // throws std::runtime_error when the OS refuses
  ~OsPipe();
  OsPipe(const OsPipe&) = delete;
  OsPipe& operator=(const OsPipe&) = delete;
  std::intptr_t read_end() const { return read_; }
  std::intptr_t write_end() const { return write_; }
  void close_read();
  void close_write();

 private:
  std::intptr_t read_, write_;
};

// Writes all of text to a pipe or file handle; false on error.
bool write_handle(std::intptr_t handle, const std::string& text);

// Reads what is there (up to max bytes, at least one, blocking until one arrives); empty at end
// of file or on error.
std::string read_handle(std::intptr_t handle, std::size_t max);

// Something mproc_wait accepts that the test makes ready by hand, as a future waitable object
// (a queue's, say) would be: POSIX a pipe whose read end becomes readable, Win32 a manual-reset
// event that becomes signalled.
class Waitable {
 public:
  Waitable();  // throws std::runtime_error when the OS refuses
  ~Waitable();
  Waitable(const Waitable&) = delete;
  Waitable& operator=(const Waitable&) = delete;
  void signal();
  std::intptr_t handle() const { return wait_; }

 private:
  std::intptr_t wait_, set_;
};

// What this process holds open, one entry per descriptor with what it refers to (POSIX:
// "/proc/self/fd"; "7 -> /memfd:Lock 'Lock-1' (deleted)"). Win32 has no cheap per-handle names:
// one entry with GetProcessHandleCount. Equal snapshots mean nothing leaked.
std::set<std::string> open_handles();

// Named shared memory the OS lists (POSIX: the names in /dev/shm). Win32 mappings are unnamed
// (a leaked one shows up in open_handles), so the set is empty there.
std::set<std::string> shared_memory_names();

// ---- threads, environment, files ---------------------------------------------------------------

// The OS id of the calling thread (Linux gettid, Win32 GetCurrentThreadId).
std::int64_t current_thread_id();

// True when that thread of this process is blocked in the kernel (Linux: state 'S' in
// /proc/self/task/<tid>/stat; Win32: ThreadState Waiting from NtQuerySystemInformation, or
// under Wine, which leaves that unset, no CPU time used across three looks 30 ms apart).
bool thread_blocked(std::int64_t thread_id);

// Sets an environment variable of this process; children started later inherit it.
void set_env(const std::string& name, const std::string& value);

// Appends text to the file at path with one write that other processes' appends cannot split
// (O_APPEND / FILE_APPEND_DATA), creating the file. False on error.
bool append_file(const std::string& path, const std::string& text);

// Creates a fresh, private directory under the system temp directory and returns its path.
// Throws std::runtime_error when it cannot.
std::string make_temp_dir();

// The path of the running executable (/proc/self/exe, GetModuleFileName).
std::string self_exe();

// The file name of a program built from `stem` ("stem" on POSIX, "stem.exe" on Win32).
std::string program_file(const std::string& stem);

// Restricts the calling process to one CPU (sched_setaffinity / SetProcessAffinityMask), so
// that mproc::cpu_count() must report 1. False when the OS refuses.
bool restrict_to_one_cpu();

// POSIX: SIGPIPE goes back to its default action (ending the process), so a library that let a
// write raise it would kill the caller. Win32 has no SIGPIPE (a write to a closed pipe fails):
// nothing to do.
void default_broken_pipe_action();

// ---- programs and output -----------------------------------------------------------------------

// What run_program returns when the program outlived its timeout and was killed (the value
// coreutils' timeout(1) uses).
inline constexpr int kTimedOut = 124;

// Runs program with args (no shell), its stdout and stderr both into *output, interleaved as
// written, stdin empty. Kills it after timeout. Returns its exit status, kTimedOut, or -1 when it
// could not run (or ended by a signal other than the timeout's).
int run_program(const std::string& program, const std::vector<std::string>& args,
                std::chrono::seconds timeout, std::string* output);

// Sends the process's standard output or error to a file for the life of the object, at the OS
// level (fd 1/2 on POSIX, the CRT descriptor and STD_*_HANDLE on Win32), so children started
// meanwhile inherit it. Flushes stdio on both edges so no output lands on the wrong side.
class CaptureStdio {
 public:
  enum Stream { kStdout = 1, kStderr = 2 };
  CaptureStdio(Stream which, const std::string& path);
  ~CaptureStdio();
  CaptureStdio(const CaptureStdio&) = delete;
  CaptureStdio& operator=(const CaptureStdio&) = delete;

 private:
  Stream which_;
  int saved_;               // a duplicate of the CRT/POSIX descriptor, restored at the end
  std::intptr_t saved_os_;  // Win32: the STD_*_HANDLE before; unused on POSIX
};

}  // namespace platform
}  // namespace mproc_test

#endif  // MPROC_TESTS_CONFORMANCE_PLATFORM_H
