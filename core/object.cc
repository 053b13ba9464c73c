// core/object.cc — creating and opening shared objects.
#include "core/object.h"

#include <atomic>
#include <cstring>

#include "core/status.h"
#include "core/types.h"

namespace {

constexpr uint32_t kObjectMagic = 0x4d504f42;  // "MPOB"
std::atomic<int> g_object_counter{0};

// The header's magic word as the atomic it is used as (the header lives in shared memory).
std::atomic<uint32_t>& magic_of(mproc__object_header* h) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "plain word");
  return *reinterpret_cast<std::atomic<uint32_t>*>(&h->magic);
}

}  // namespace

const char* mproc__object_kind_name(uint32_t kind) {
  switch (kind) {
    case MPROC__OBJ_QUEUE:
      return "Queue";
    case MPROC__OBJ_SIMPLE_QUEUE:
      return "SimpleQueue";
    case MPROC__OBJ_JOINABLE_QUEUE:
      return "JoinableQueue";
    case MPROC__OBJ_VALUE:
      return "Value";
    case MPROC__OBJ_ARRAY:
      return "Array";
    case MPROC__OBJ_LOCK:
      return "Lock";
    case MPROC__OBJ_RLOCK:
      return "RLock";
    case MPROC__OBJ_SEMAPHORE:
      return "Semaphore";
    case MPROC__OBJ_BOUNDED_SEMAPHORE:
      return "BoundedSemaphore";
    case MPROC__OBJ_EVENT:
      return "Event";
    case MPROC__OBJ_CONDITION:
      return "Condition";
    case MPROC__OBJ_BARRIER:
      return "Barrier";
    case MPROC__OBJ_POOL_WORKER:
      return "PoolWorker";
    default:
      return "object";
  }
}

mproc__object::~mproc__object() {
  close_watchers();
  mproc__shm_close(shm_);
}

std::string mproc__object::describe() const {
  return std::string(mproc__object_kind_name(header_->kind)) + " '" + header_->name + "'";
}

mproc_status mproc__object::create(uint32_t kind, uint32_t type_code, uint32_t elem_size,
                                   size_t payload_size, const char* name, mproc__object** out,
                                   uint64_t reserve) {
  std::string n = name != nullptr ? std::string(name)
                                  : std::string(mproc__object_kind_name(kind)) + "-" +
                                        std::to_string(++g_object_counter);
  if (n.size() >= sizeof(mproc__object_header::name)) {
    return mproc__failf(MPROC_E_INVAL, "%s '%s': a name is at most %d bytes",
                        mproc__object_kind_name(kind), n, sizeof(mproc__object_header::name) - 1);
  }
  mproc__shm* shm = nullptr;
  std::string what = std::string(mproc__object_kind_name(kind)) + " '" + n + "'";
  mproc_status st =
      mproc__shm_create(sizeof(mproc__object_header) + payload_size, reserve, what.c_str(), &shm);
  if (st != MPROC_OK) return st;
  auto* obj = new mproc__object;
  obj->shm_ = shm;
  obj->header_ = static_cast<mproc__object_header*>(mproc__shm_addr(shm));
  obj->payload_ = reinterpret_cast<char*>(obj->header_) + sizeof(mproc__object_header);
  mproc__object_header* h = obj->header_;
  h->kind = kind;
  h->type_code = type_code;
  h->elem_size = elem_size;
  h->payload_size = payload_size;
  h->creator_pid = mproc__current_pid();
  std::memcpy(h->name, n.c_str(), n.size() + 1);
  // Published last, with release: an opener that sees the magic sees the rest. (A store rather
  // than a fence: GCC refuses atomic_thread_fence under -fsanitize=thread with -Werror.)
  magic_of(h).store(kObjectMagic, std::memory_order_release);
  *out = obj;
  return MPROC_OK;
}

mproc_status mproc__object::open_any(intptr_t handle, const char* expected, mproc__object** out) {
  mproc__shm* shm = nullptr;
  mproc_status st = mproc__shm_open(handle, expected, &shm);
  if (st == MPROC_E_INVAL) {
    // A valid handle to something else (a pipe, a file): the caller holds the wrong object.
    return mproc__failf(MPROC_E_TYPE_MISMATCH,
                        "opening a %s: handle %d is not an mproc object (not shared memory)",
                        expected, static_cast<int>(handle));
  }
  if (st != MPROC_OK) return st;
  auto* h = static_cast<mproc__object_header*>(mproc__shm_addr(shm));
  // The segment may be larger than header + payload: a queue grows its segment past the payload
  // to hold buffered messages (mproc__shm_commit).
  if (mproc__shm_size(shm) < sizeof(mproc__object_header) ||
      magic_of(h).load(std::memory_order_acquire) != kObjectMagic ||
      h->payload_size > mproc__shm_size(shm) - sizeof(mproc__object_header)) {
    mproc__shm_close(shm);
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "opening a %s: handle %d is not an mproc object",
                        expected, static_cast<int>(handle));
  }
  h->name[sizeof h->name - 1] = '\0';
  auto* obj = new mproc__object;
  obj->shm_ = shm;
  obj->header_ = h;
  obj->payload_ = reinterpret_cast<char*>(h) + sizeof(mproc__object_header);
  *out = obj;
  return MPROC_OK;
}

mproc_status mproc__object::open(intptr_t handle, uint32_t kind, uint32_t type_code,
                                 mproc__object** out) {
  const char* kind_name = mproc__object_kind_name(kind);
  mproc__object* obj = nullptr;
  mproc_status st = open_any(handle, kind_name, &obj);
  if (st != MPROC_OK) return st;
  const mproc__object_header* h = obj->header_;
  if (h->kind != kind) {
    std::string got = obj->describe();
    delete obj;
    const char* article = std::strchr("AEIOU", kind_name[0]) != nullptr ? "an" : "a";
    return mproc__failf(MPROC_E_TYPE_MISMATCH, "%s was opened as %s %s", got, article, kind_name);
  }
  if (type_code != 0 && h->type_code != type_code) {
    std::string message = absl::StrFormat("%s holds %s but was opened as %s", obj->describe(),
                                          mproc__type_describe(h->type_code, h->elem_size),
                                          mproc__type_describe(type_code, 0));
    delete obj;
    return mproc__fail(MPROC_E_TYPE_MISMATCH, message);
  }
  *out = obj;
  return MPROC_OK;
}
