// mproc/handles.hpp — how shared objects travel as arguments.
//
// A shared object (Queue, Value, Lock, a Pipe end, ...) encodes as an index into the list of OS
// handles that go with the arguments; the receiving process maps the index back to its own handle
// and reopens the object. The codec of such an object calls export_handle()/import_handle(); the
// code that encodes arguments installs a handle_sink around the encoding: a Process ships the
// handles it collected to the child; a pool refuses them (errc::not_supported) because its workers
// are already running.
#ifndef MPROC_HANDLES_HPP
#define MPROC_HANDLES_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/process.h"

namespace mproc {
namespace detail {

class handle_sink {
 public:
  handle_sink() : previous_(current()) { current() = this; }
  ~handle_sink() {
    current() = previous_;
    for (std::intptr_t h : duplicates_) mproc_handle_close(h);
  }
  handle_sink(const handle_sink&) = delete;
  handle_sink& operator=(const handle_sink&) = delete;

  // Collects a duplicate of the handle, so it stays open until the collected handles are passed
  // on even when the encoded object is a temporary copy that dies first.
  std::uint64_t add(std::intptr_t handle) {
    std::intptr_t dup = -1;
    check(mproc_handle_dup(handle, &dup));
    duplicates_.push_back(dup);
    handles_.push_back(dup);
    return handles_.size() - 1;
  }
  // The same, also keeping `owner` (what owns the handle) alive as long as the sink: the shared
  // state behind the handle must outlive the encoding too.
  std::uint64_t add(std::intptr_t handle, std::shared_ptr<const void> owner) {
    owners_.push_back(std::move(owner));
    return add(handle);
  }
  const std::vector<std::intptr_t>& handles() const { return handles_; }

  static handle_sink*& current() {
    static thread_local handle_sink* sink = nullptr;
    return sink;
  }

 private:
  handle_sink* previous_;
  std::vector<std::intptr_t> handles_;
  std::vector<std::shared_ptr<const void>> owners_;
  std::vector<std::intptr_t> duplicates_;
};

// Where a receiver looks handles up: the process's inherited handles, unless a pool worker has
// installed the current task's (see handle_source).
class handle_source {
 public:
  virtual ~handle_source() = default;
  virtual std::intptr_t get(std::uint64_t index) const = 0;
  static const handle_source*& current() {
    static thread_local const handle_source* source = nullptr;
    return source;
  }
};

}  // namespace detail

// For a shared object's codec: the index under which `handle` travels. Throws when no Process or
// task is encoding (a shared object only makes sense as an argument to another process).
//
// Pass `owner`, a shared pointer to what owns the handle, whenever the object being encoded may
// be the last one keeping the handle open (a temporary argument is copied into the argument tuple,
// encoded, and destroyed before the Process passes the handles on).
inline std::uint64_t export_handle(std::intptr_t handle, const std::string& what,
                                   std::shared_ptr<const void> owner) {
  detail::handle_sink* sink = detail::handle_sink::current();
  if (sink == nullptr) {
    throw error(errc::not_supported,
                what + " can be encoded only as an argument of a Process or a pool task");
  }
  return sink->add(handle, std::move(owner));
}

inline std::uint64_t export_handle(std::intptr_t handle, const std::string& what) {
  detail::handle_sink* sink = detail::handle_sink::current();
  if (sink == nullptr) {
    throw error(errc::not_supported,
                what + " can be encoded only as an argument of a Process or a pool task");
  }
  return sink->add(handle);
}

// For a shared object's codec, in the receiver: the handle behind an index. Owned by mproc.
inline std::intptr_t import_handle(std::uint64_t index) {
  if (const detail::handle_source* source = detail::handle_source::current()) {
    return source->get(index);
  }
  std::intptr_t handle = -1;
  detail::check(mproc_inherited_handle(static_cast<size_t>(index), &handle));
  return handle;
}

// Like import_handle, but the caller owns the result and closes it with mproc_handle_close: for a
// codec whose object duplicates the handle when it opens, so that closing the object in the
// receiver leaves no copy behind (a Pipe end's peer sees EOF).
inline std::intptr_t import_handle_owned(std::uint64_t index) {
  std::intptr_t handle = -1;
  if (const detail::handle_source* source = detail::handle_source::current()) {
    detail::check(mproc_handle_dup(source->get(index), &handle));
    return handle;
  }
  detail::check(mproc_inherited_handle_take(static_cast<size_t>(index), &handle));
  return handle;
}

}  // namespace mproc

#endif  // MPROC_HANDLES_HPP
