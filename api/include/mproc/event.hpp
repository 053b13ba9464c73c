// mproc/event.hpp — mproc::Event, Python's multiprocessing.Event for C++ (facade of
// mproc/event.h): a flag processes wait on until another sets it.
//
//   mproc::Event ready;
//   mproc::Process p(mproc::fn<&worker>, ready);   // worker: ready.wait(); ...
//   ready.set();
//
// Copies share one event; every member is thread-safe.
#ifndef MPROC_EVENT_HPP
#define MPROC_EVENT_HPP

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/event.h"
#include "mproc/handles.hpp"
#include "mproc/process.hpp"

namespace mproc {

class Event {
 public:
  Event() : Event(std::string()) {}
  explicit Event(const std::string& name) {
    mproc_event_options o = MPROC_EVENT_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    mproc_event* e = nullptr;
    detail::check(mproc_event_create(&o, &e));
    h_.reset(e, &mproc_event_destroy);
  }

  // Opens the Event behind a handle this process received.
  static Event open(std::intptr_t handle) {
    mproc_event* e = nullptr;
    detail::check(mproc_event_open(handle, &e));
    return Event(adopt_tag{}, e);
  }

  void set() { detail::check(mproc_event_set(h_.get())); }
  void clear() { detail::check(mproc_event_clear(h_.get())); }
  bool is_set() const { return mproc_event_is_set(h_.get()) != 0; }

  // Waits until the flag is set; returns true (as Python's wait() does).
  bool wait() { return wait_ms(MPROC_INFINITE); }
  // True when the flag is set, or was set while waiting; false when the timeout expired.
  template <typename Rep, typename Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_ms(detail::to_timeout_ms(timeout));
  }

  std::string describe() const { return mproc_event_describe(h_.get()); }
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_event_handle(h_.get(), &h));
    return h;
  }
  mproc_event* native_handle() const { return h_.get(); }
  // An OS handle readable while the event is set, for mproc::wait({event, ...}, timeout) and
  // outside event loops (mproc_event_wait_handle). Owned by the event.
  std::intptr_t wait_handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_event_wait_handle(h_.get(), &h));
    return h;
  }

 private:
  struct adopt_tag {};
  Event(adopt_tag, mproc_event* adopted) : h_(adopted, &mproc_event_destroy) {}

  bool wait_ms(std::int64_t timeout_ms) {
    int st = mproc_event_wait(h_.get(), timeout_ms);
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

  template <class T, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_event> h_;
};

template <>
struct codec<Event> {
  static void encode(std::string& out, const Event& e) {
    detail::put_u64(out, export_handle(e.handle(), e.describe(), e.h_));
  }
  static Event decode(reader& in) {
    return Event::open(import_handle(detail::get_u64(in, "Event")));
  }
};

}  // namespace mproc

#endif  // MPROC_EVENT_HPP
