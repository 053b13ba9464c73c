// core/launch.cc — launch record encoding. Parent and child are the same binary, so native byte
// order is fine; the magic and version catch a record from another build or a corrupted one.
#include "core/launch.h"

#include <cstring>

#include "core/status.h"

namespace {

constexpr uint32_t kMagic = 0x4d504c31;  // "MPL1"

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.append(s);
}

struct Reader {
  const char* p;
  size_t left;
  template <typename T>
  bool get(T* v) {
    if (left < sizeof(T)) return false;
    std::memcpy(v, p, sizeof(T));
    p += sizeof(T);
    left -= sizeof(T);
    return true;
  }
  bool get_string(std::string* s) {
    uint64_t n = 0;
    if (!get(&n) || n > left) return false;
    s->assign(p, static_cast<size_t>(n));
    p += n;
    left -= static_cast<size_t>(n);
    return true;
  }
};

}  // namespace

std::string mproc__launch_encode(const mproc__launch& launch) {
  std::string out;
  out.reserve(64 + launch.fn_name.size() + launch.process_name.size() + launch.args.size());
  put<uint32_t>(out, kMagic);
  put<int64_t>(out, launch.parent_pid);
  put<uint8_t>(out, launch.daemon ? 1 : 0);
  put_string(out, launch.fn_name);
  put_string(out, launch.process_name);
  put_string(out, launch.identity);
  put_string(out, launch.args);
  return out;
}

mproc_status mproc__launch_decode(const void* data, size_t len, mproc__launch* out) {
  Reader r{static_cast<const char*>(data), data == nullptr ? 0 : len};
  uint32_t magic = 0;
  uint8_t daemon = 0;
  if (!r.get(&magic) || magic != kMagic) {
    return mproc__fail(MPROC_E_DECODE, "launch record: bad magic (not from this mproc build)");
  }
  if (!r.get(&out->parent_pid) || !r.get(&daemon) || !r.get_string(&out->fn_name) ||
      !r.get_string(&out->process_name) || !r.get_string(&out->identity) ||
      !r.get_string(&out->args) || r.left != 0) {
    return mproc__failf(MPROC_E_DECODE, "launch record: truncated or malformed (%d bytes)", len);
  }
  out->daemon = daemon != 0;
  return MPROC_OK;
}
