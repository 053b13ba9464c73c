// core/registry.h — the table of functions that can run in another process, and a running call.
#ifndef MPROC_CORE_REGISTRY_H
#define MPROC_CORE_REGISTRY_H

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
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

// A growable byte buffer whose append is inline: a pool worker appends one small result per
// map element, and std::string's append is an out-of-line call with a memmove call behind it,
// which was a fifth of a worker's time on a map of x*x.
class mproc__bytes {
 public:
  mproc__bytes() = default;
  mproc__bytes(const mproc__bytes&) = delete;
  mproc__bytes& operator=(const mproc__bytes&) = delete;
  ~mproc__bytes() { std::free(data_); }

  char* data() const { return data_; }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  // Shrinks to n bytes (n <= size()).
  void truncate(size_t n) { size_ = n; }
  // Makes room for n more bytes and returns where they go (their content is unset).
  char* grow(size_t n) {
    if (cap_ - size_ < n) reserve(size_ + n);
    char* p = data_ + size_;
    size_ += n;
    return p;
  }
  void append(const void* p, size_t n) { copy_small(grow(n), p, n); }
  void reserve(size_t n) {
    if (n <= cap_) return;
    size_t cap = cap_ < 256 ? 256 : cap_;
    while (cap < n) cap *= 2;
    void* grown = std::realloc(data_, cap);
    if (grown == nullptr) throw std::bad_alloc();
    data_ = static_cast<char*>(grown);
    cap_ = cap;
  }

  // memcpy, with the sizes results usually have (4 to 16 bytes) copied inline.
  static void copy_small(char* to, const void* from, size_t n) {
    const char* f = static_cast<const char*>(from);
    if (n >= 8 && n <= 16) {
      uint64_t a, b;
      std::memcpy(&a, f, 8);
      std::memcpy(&b, f + n - 8, 8);
      std::memcpy(to, &a, 8);
      std::memcpy(to + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
      uint32_t a, b;
      std::memcpy(&a, f, 4);
      std::memcpy(&b, f + n - 4, 4);
      std::memcpy(to, &a, 4);
      std::memcpy(to + n - 4, &b, 4);
    } else if (n > 0) {
      std::memcpy(to, f, n);
    }
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

// What a function reported while it ran (mproc_call_fail / mproc_call_set_result).
struct mproc_call {
  bool failed = false;
  std::string fail_type;
  std::string fail_message;
  bool has_result = false;
  std::string result;
  // A pool worker's batch of results: when set, the result goes straight onto its end as a batch
  // item (u32 length, bytes) instead of into `result`, saving a copy per element.
  mproc__bytes* batch = nullptr;
  size_t batch_mark = 0;  // where this call's item starts in *batch
};

#endif  // MPROC_CORE_REGISTRY_H
