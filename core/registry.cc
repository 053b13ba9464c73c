// core/registry.cc — functions registered by name; the names, not addresses, cross to children.
#include "core/registry.h"

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "core/mutex.h"
#include "core/status.h"

namespace {

struct Registry {
  mproc__thread_mutex mu;
  std::unordered_map<std::string, mproc__registered> entries ABSL_GUARDED_BY(mu);
};

// Registration runs from static initialisers (C++ facade), so the table must exist before any
// of them and must never be destroyed while another static destructor might still look it up.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

constexpr size_t kMaxNameLength = 255;
// Names the library registers for itself (e.g. the pool's worker loop) start with this.
constexpr const char kReservedPrefix[] = "mproc.";

}  // namespace

void mproc__register_internal(const char* name, mproc_fn fn, void* userdata) {
  Registry& r = registry();
  mproc__thread_lock lock(&r.mu);
  r.entries.insert_or_assign(std::string(name), mproc__registered{fn, userdata});
}

bool mproc__registry_find(const std::string& name, mproc__registered* out) {
  Registry& r = registry();
  mproc__thread_lock lock(&r.mu);
  auto it = r.entries.find(name);
  if (it == r.entries.end()) return false;
  *out = it->second;
  return true;
}

extern "C" {

MPROC_API mproc_status mproc_register(const char* name, mproc_fn fn, void* userdata) {
  if (name == nullptr || fn == nullptr) {
    return mproc__fail(MPROC_E_INVAL, "mproc_register: name and fn must not be NULL");
  }
  std::string key(name);
  if (key.empty() || key.size() > kMaxNameLength) {
    return mproc__failf(MPROC_E_INVAL,
                        "mproc_register: a function name must be 1 to %d bytes, '%s' is %d",
                        kMaxNameLength, key.substr(0, 64), key.size());
  }
  if (key.rfind(kReservedPrefix, 0) == 0) {
    return mproc__failf(MPROC_E_INVAL,
                        "mproc_register: names starting with '%s' are reserved for mproc's own "
                        "functions ('%s')",
                        kReservedPrefix, key);
  }
  Registry& r = registry();
  mproc__thread_lock lock(&r.mu);
  auto [it, inserted] = r.entries.try_emplace(key, mproc__registered{fn, userdata});
  if (!inserted && (it->second.fn != fn || it->second.userdata != userdata)) {
    return mproc__failf(MPROC_E_EXISTS,
                        "mproc_register: a different function is already registered as '%s'", key);
  }
  return MPROC_OK;
}

MPROC_API int mproc_is_registered(const char* name) {
  if (name == nullptr) return 0;
  mproc__registered unused;
  return mproc__registry_find(name, &unused) ? 1 : 0;
}

MPROC_API mproc_status mproc_call_fail(mproc_call* call, const char* type, const char* message) {
  if (call == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_call_fail: call is NULL");
  call->failed = true;
  call->fail_type = type != nullptr ? type : "error";
  call->fail_message = message != nullptr ? message : "";
  return MPROC_OK;
}

MPROC_API mproc_status mproc_call_set_result(mproc_call* call, const void* data, size_t len) {
  if (call == nullptr || (data == nullptr && len > 0)) {
    return mproc__fail(MPROC_E_INVAL, "mproc_call_set_result: call is NULL, or data is NULL with len > 0");
  }
  mproc_status st = mproc__check_count("mproc_call_set_result", "len", len);
  if (st != MPROC_OK) return st;
  if (call->batch != nullptr) {
    if (len > UINT32_MAX) {
      std::string text = "a result of " + std::to_string(len) +
                         " bytes is over the 4 GiB a pool result may have";
      mproc_call_fail(call, "mproc::encode_error", text.c_str());
      return mproc__fail(MPROC_E_TOO_BIG, "mproc_call_set_result: " + text);
    }
    mproc__bytes& batch = *call->batch;
    batch.truncate(call->batch_mark);  // a second call wins
    const auto n = static_cast<uint32_t>(len);
    char* p = batch.grow(sizeof n + len);
    std::memcpy(p, &n, sizeof n);
    mproc__bytes::copy_small(p + sizeof n, data, len);
  } else {
    try {  // the caller's bytes, copied: no exception may cross the C ABI
      call->result.assign(static_cast<const char*>(data), len);
    } catch (...) {
      return mproc__status_from_exception("mproc_call_set_result");
    }
  }
  call->has_result = true;
  return MPROC_OK;
}

}  // extern "C"
