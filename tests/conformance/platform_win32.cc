// platform.h for Win32 (mingw-w64 or MSVC). Chosen by tests/CMakeLists.txt when the target is
// WIN32; scripts/mingw-check.sh compiles it on every CI run so it keeps compiling before the
// Win32 backend links.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// windows.h first: these need its types.
#include <fcntl.h>
#include <io.h>
#include <winternl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <vector>

#include "platform.h"

// thread_blocked walks NtQuerySystemInformation's records: the threads follow each process
// record, so the headers' sizes must be the OS's (x64: 0x100 and 0x50).
static_assert(sizeof(void*) != 8 || sizeof(SYSTEM_PROCESS_INFORMATION) == 0x100,
              "winternl.h's SYSTEM_PROCESS_INFORMATION is not the x64 layout");
static_assert(sizeof(void*) != 8 || sizeof(SYSTEM_THREAD_INFORMATION) == 0x50,
              "winternl.h's SYSTEM_THREAD_INFORMATION is not the x64 layout");

namespace mproc_test {
namespace platform {

namespace {

HANDLE as_handle(std::intptr_t h) { return reinterpret_cast<HANDLE>(h); }
std::intptr_t as_intptr(HANDLE h) { return reinterpret_cast<std::intptr_t>(h); }

void close_handle(std::intptr_t& h) {
  if (h != 0 && h != -1) ::CloseHandle(as_handle(h));
  h = -1;
}

std::wstring widen(const std::string& s) {
  if (s.empty()) return std::wstring();
  int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
  return w;
}

std::string narrow(const std::wstring& w) {
  if (w.empty()) return std::string();
  int n = ::WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0,
                                nullptr, nullptr);
  std::string s(static_cast<std::size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), s.data(), n, nullptr,
                        nullptr);
  return s;
}

// One argument quoted the way CommandLineToArgvW and the CRT split it back.
std::wstring quote_arg(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"')
      out.append(backslashes * 2 + 1, L'\\');
    else
      out.append(backslashes, L'\\');
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  out.push_back(L'"');
  return out;
}

DWORD to_wait_ms(int timeout_ms) {
  return timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms);
}

}  // namespace

[[noreturn]] void die_now() {
  ::TerminateProcess(::GetCurrentProcess(), kWin32KilledExitCode);
  for (;;) ::Sleep(INFINITE);  // TerminateProcess on itself does not return
}

[[noreturn]] void sleep_forever() {
  for (;;) ::Sleep(INFINITE);
}

bool pid_alive(std::int64_t pid) {
  if (pid <= 0 || pid > 0xFFFFFFFFll) return false;
  HANDLE p = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE,
                           static_cast<DWORD>(pid));
  if (p == nullptr) return ::GetLastError() == ERROR_ACCESS_DENIED;  // exists, not ours
  // STILL_ACTIVE (259) is also a possible exit code, so ask the handle whether it is signalled.
  bool alive = ::WaitForSingleObject(p, 0) == WAIT_TIMEOUT;
  ::CloseHandle(p);
  return alive;
}

bool kill_pid(std::int64_t pid) {
  if (pid <= 0 || pid > 0xFFFFFFFFll) return false;
  HANDLE p = ::OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid));
  if (p == nullptr) return false;
  bool ok = ::TerminateProcess(p, kWin32KilledExitCode) != 0;
  ::CloseHandle(p);
  return ok;
}

int wait_readable(std::intptr_t handle, int timeout_ms) {
  HANDLE h = as_handle(handle);
  if (::GetFileType(h) == FILE_TYPE_PIPE) {
    // Anonymous pipes are not waitable objects: look until data or a closed writer shows.
    const ULONGLONG deadline = ::GetTickCount64() + static_cast<ULONGLONG>(timeout_ms);
    for (;;) {
      DWORD avail = 0;
      if (!::PeekNamedPipe(h, nullptr, 0, nullptr, &avail, nullptr)) {
        return ::GetLastError() == ERROR_BROKEN_PIPE ? 1 : -1;  // end of file reads as ready
      }
      if (avail > 0) return 1;
      if (timeout_ms >= 0 && ::GetTickCount64() >= deadline) return 0;
      ::Sleep(1);
    }
  }
  switch (::WaitForSingleObject(h, to_wait_ms(timeout_ms))) {
    case WAIT_OBJECT_0:
    case WAIT_ABANDONED:
      return 1;
    case WAIT_TIMEOUT:
      return 0;
    default:
      return -1;
  }
}

OsPipe::OsPipe() {
  HANDLE r = nullptr, w = nullptr;
  if (!::CreatePipe(&r, &w, nullptr, 0)) throw std::runtime_error("CreatePipe failed");
  read_ = as_intptr(r);
  write_ = as_intptr(w);
}

OsPipe::~OsPipe() {
  close_read();
  close_write();
}

void OsPipe::close_read() { close_handle(read_); }
void OsPipe::close_write() { close_handle(write_); }

bool write_handle(std::intptr_t handle, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    DWORD n = 0;
    DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(text.size() - done, 1u << 20));
    if (!::WriteFile(as_handle(handle), text.data() + done, chunk, &n, nullptr) || n == 0) {
      return false;
    }
    done += n;
  }
  return true;
}

std::string read_handle(std::intptr_t handle, std::size_t max) {
  std::string buf(max, '\0');
  DWORD n = 0;
  if (!::ReadFile(as_handle(handle), buf.data(), static_cast<DWORD>(max), &n, nullptr)) n = 0;
  buf.resize(n);
  return buf;
}

Waitable::Waitable() {
  HANDLE e = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (e == nullptr) throw std::runtime_error("CreateEvent failed");
  wait_ = as_intptr(e);
  set_ = -1;  // the event is both ends
}

Waitable::~Waitable() { close_handle(wait_); }

void Waitable::signal() { ::SetEvent(as_handle(wait_)); }

std::set<std::string> open_handles() {
  DWORD count = 0;
  if (!::GetProcessHandleCount(::GetCurrentProcess(), &count)) return {};
  return {std::to_string(count) + " handles"};
}

std::set<std::string> shared_memory_names() { return {}; }

std::int64_t current_thread_id() { return static_cast<std::int64_t>(::GetCurrentThreadId()); }

namespace {

// Kernel + user time of a thread of this process, in 100 ns units; -1 when it cannot be read.
long long thread_cpu_time(std::int64_t thread_id) {
  HANDLE t = ::OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(thread_id));
  if (t == nullptr) return -1;
  FILETIME created, ended, kernel, user;
  const BOOL ok = ::GetThreadTimes(t, &created, &ended, &kernel, &user);
  ::CloseHandle(t);
  if (!ok) return -1;
  auto ticks = [](const FILETIME& f) {
    return static_cast<long long>((static_cast<unsigned long long>(f.dwHighDateTime) << 32) |
                                  f.dwLowDateTime);
  };
  return ticks(kernel) + ticks(user);
}

// The thread's KTHREAD_STATE from NtQuerySystemInformation (5 = Waiting), or -1.
long thread_state(std::int64_t thread_id) {
  using query_fn = NTSTATUS(NTAPI*)(SYSTEM_INFORMATION_CLASS, PVOID, ULONG, PULONG);
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) return -1;
  auto query = reinterpret_cast<query_fn>(
      reinterpret_cast<void*>(::GetProcAddress(ntdll, "NtQuerySystemInformation")));
  if (query == nullptr) return -1;
  std::vector<unsigned char> buf(1u << 20);
  ULONG needed = 0;
  NTSTATUS st;
  while ((st = query(SystemProcessInformation, buf.data(), static_cast<ULONG>(buf.size()),
                     &needed)) == static_cast<NTSTATUS>(0xC0000004L)) {  // INFO_LENGTH_MISMATCH
    buf.resize(std::max<std::size_t>(buf.size() * 2, needed + 65536u));
  }
  if (st < 0) return -1;
  const DWORD self = ::GetCurrentProcessId();
  for (std::size_t off = 0;;) {
    auto* proc = reinterpret_cast<const SYSTEM_PROCESS_INFORMATION*>(buf.data() + off);
    if (reinterpret_cast<std::uintptr_t>(proc->UniqueProcessId) == self) {
      // The process's threads follow its record.
      auto* threads = reinterpret_cast<const SYSTEM_THREAD_INFORMATION*>(proc + 1);
      for (ULONG i = 0; i < proc->NumberOfThreads; ++i) {
        if (reinterpret_cast<std::uintptr_t>(threads[i].ClientId.UniqueThread) ==
            static_cast<std::uintptr_t>(thread_id)) {
          return static_cast<long>(threads[i].ThreadState);
        }
      }
      return -1;
    }
    if (proc->NextEntryOffset == 0) return -1;
    off += proc->NextEntryOffset;
  }
}

}  // namespace

bool thread_blocked(std::int64_t thread_id) {
  const long state = thread_state(thread_id);
  if (state == 5) return true;  // Waiting
  if (state != 0) return false;  // Running, Ready, Standby...
  // State 0 (Initialized) cannot describe a thread that has run its code: Wine leaves the field
  // unset. There, a thread that used no CPU time across three looks 30 ms apart is asleep.
  const long long first = thread_cpu_time(thread_id);
  if (first < 0) return false;
  for (int look = 0; look < 3; ++look) {
    ::Sleep(30);
    if (thread_cpu_time(thread_id) != first) return false;
  }
  return true;
}

void set_env(const std::string& name, const std::string& value) {
  // Both tables: the CRT's (getenv) and the process's (what CreateProcess hands to children).
  ::_putenv_s(name.c_str(), value.c_str());
  ::SetEnvironmentVariableW(widen(name).c_str(), widen(value).c_str());
}

bool append_file(const std::string& path, const std::string& text) {
  // FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the end, atomically.
  HANDLE f =
      ::CreateFileW(widen(path).c_str(), FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE,
                    nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (f == INVALID_HANDLE_VALUE) return false;
  DWORD n = 0;
  bool ok =
      ::WriteFile(f, text.data(), static_cast<DWORD>(text.size()), &n, nullptr) && n == text.size();
  ::CloseHandle(f);
  return ok;
}

std::string make_temp_dir() {
  const std::filesystem::path base = std::filesystem::temp_directory_path();
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::filesystem::path dir =
        base / ("mproc-test-" + std::to_string(::GetCurrentProcessId()) + "-" +
                std::to_string(rd() & 0xFFFFFFu));
    if (::CreateDirectoryW(dir.wstring().c_str(), nullptr)) return dir.string();
    if (::GetLastError() != ERROR_ALREADY_EXISTS) break;
  }
  throw std::runtime_error("cannot create a temporary directory");
}

std::string self_exe() {
  std::wstring path(32768, L'\0');
  DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  if (n == 0 || n >= path.size()) return std::string();
  path.resize(n);
  return narrow(path);
}

std::string program_file(const std::string& stem) { return stem + ".exe"; }

bool restrict_to_one_cpu() {
  DWORD_PTR process_mask = 0, system_mask = 0;
  if (!::GetProcessAffinityMask(::GetCurrentProcess(), &process_mask, &system_mask)) return false;
  const DWORD_PTR lowest = process_mask & (~process_mask + 1);  // one CPU we may run on
  return lowest != 0 && ::SetProcessAffinityMask(::GetCurrentProcess(), lowest) != 0;
}

void default_broken_pipe_action() {}

int run_program(const std::string& program, const std::vector<std::string>& args,
                std::chrono::seconds timeout, std::string* output) {
  output->clear();
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE out_r = nullptr, out_w = nullptr;
  if (!::CreatePipe(&out_r, &out_w, &inherit, 0)) return -1;
  ::SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);  // only the child's end is inherited
  HANDLE null_in = ::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                                 OPEN_EXISTING, 0, nullptr);
  std::wstring cmd = quote_arg(widen(program));
  for (const auto& a : args) cmd += L" " + quote_arg(widen(a));
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = null_in;
  si.hStdOutput = out_w;
  si.hStdError = out_w;
  PROCESS_INFORMATION pi{};
  const BOOL made =
      ::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi);
  ::CloseHandle(out_w);
  if (null_in != INVALID_HANDLE_VALUE) ::CloseHandle(null_in);
  if (!made) {
    ::CloseHandle(out_r);
    *output = "cannot run " + program;
    return -1;
  }
  ::CloseHandle(pi.hThread);
  // A blocking ReadFile cannot time out, so look before reading: read what is there, stop at end
  // of file or once the program has ended and nothing is left (a grandchild may hold the pipe).
  const ULONGLONG deadline =
      ::GetTickCount64() +
      static_cast<ULONGLONG>(
          std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    DWORD avail = 0;
    if (!::PeekNamedPipe(out_r, nullptr, 0, nullptr, &avail, nullptr)) break;  // every writer gone
    if (avail > 0) {
      DWORD n = 0;
      if (!::ReadFile(out_r, buf, std::min<DWORD>(avail, sizeof buf), &n, nullptr) || n == 0) break;
      output->append(buf, n);
      continue;
    }
    if (::WaitForSingleObject(pi.hProcess, 0) == WAIT_OBJECT_0) break;
    if (::GetTickCount64() >= deadline) {
      timed_out = true;
      ::TerminateProcess(pi.hProcess, kWin32KilledExitCode);
      ::WaitForSingleObject(pi.hProcess, INFINITE);
      break;
    }
    ::Sleep(1);
  }
  ::CloseHandle(out_r);
  DWORD code = 0;
  ::GetExitCodeProcess(pi.hProcess, &code);
  ::CloseHandle(pi.hProcess);
  if (timed_out) return kTimedOut;
  return static_cast<int>(code);
}

CaptureStdio::CaptureStdio(Stream which, const std::string& path)
    : which_(which), saved_(::_dup(which)), saved_os_(-1) {
  std::fflush(nullptr);
  const DWORD std_id = which == kStdout ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE;
  saved_os_ = as_intptr(::GetStdHandle(std_id));
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE f = ::CreateFileW(widen(path).c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                           &inherit, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (f == INVALID_HANDLE_VALUE) return;
  // The CRT descriptor (printf here) and the process's standard handle (children) both move.
  int fd = ::_open_osfhandle(as_intptr(f), _O_WRONLY | _O_BINARY);
  if (fd < 0) {
    ::CloseHandle(f);
    return;
  }
  ::_dup2(fd, which_);
  ::_close(fd);
  ::SetStdHandle(std_id, reinterpret_cast<HANDLE>(::_get_osfhandle(which_)));
}

CaptureStdio::~CaptureStdio() {
  std::fflush(nullptr);
  if (saved_ >= 0) {
    ::_dup2(saved_, which_);
    ::_close(saved_);
  }
  ::SetStdHandle(which_ == kStdout ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE, as_handle(saved_os_));
}

}  // namespace platform
}  // namespace mproc_test
