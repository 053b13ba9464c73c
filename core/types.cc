// core/types.cc — the element types of shared values and arrays.
#include "core/types.h"

#include "absl/strings/str_format.h"
#include "core/status.h"

namespace {

struct type_info {
  mproc_type type;
  const char* name;
  size_t size;
  bool integral;
  bool is_signed;
};

constexpr type_info kTypes[] = {
    {MPROC_TYPE_I8, "int8", 1, true, true},       {MPROC_TYPE_U8, "uint8", 1, true, false},
    {MPROC_TYPE_I16, "int16", 2, true, true},     {MPROC_TYPE_U16, "uint16", 2, true, false},
    {MPROC_TYPE_I32, "int32", 4, true, true},     {MPROC_TYPE_U32, "uint32", 4, true, false},
    {MPROC_TYPE_I64, "int64", 8, true, true},     {MPROC_TYPE_U64, "uint64", 8, true, false},
    {MPROC_TYPE_F32, "float", 4, false, true},    {MPROC_TYPE_F64, "double", 8, false, true},
    {MPROC_TYPE_BOOL, "bool", 1, true, false},    {MPROC_TYPE_CHAR, "char", 1, true, true},
    {MPROC_TYPE_BYTES, "bytes", 0, false, false},
};

const type_info* find(uint32_t code) {
  for (const type_info& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == code) return &t;
  }
  return nullptr;
}

}  // namespace

bool mproc__type_valid(uint32_t type_code) { return find(type_code) != nullptr; }

std::string mproc__type_describe(uint32_t type_code, size_t elem_size) {
  const type_info* t = find(type_code);
  if (t == nullptr) return absl::StrFormat("unknown type %u", type_code);
  if (t->type == MPROC_TYPE_BYTES) {
    return elem_size == 0 ? std::string("'s' (record)")
                          : absl::StrFormat("'s' (%u-byte record)", elem_size);
  }
  return absl::StrFormat("'%c' (%s)", static_cast<char>(type_code), t->name);
}

bool mproc__type_is_integral(uint32_t type_code) {
  const type_info* t = find(type_code);
  return t != nullptr && t->integral;
}

bool mproc__type_is_signed(uint32_t type_code) {
  const type_info* t = find(type_code);
  return t != nullptr && t->is_signed;
}

extern "C" {

MPROC_API char mproc_type_code(mproc_type t) {
  return find(static_cast<uint32_t>(t)) != nullptr ? static_cast<char>(t) : '\0';
}

MPROC_API const char* mproc_type_name(mproc_type t) {
  const type_info* i = find(static_cast<uint32_t>(t));
  return i != nullptr ? i->name : "unknown";
}

MPROC_API size_t mproc_type_size(mproc_type t) {
  const type_info* i = find(static_cast<uint32_t>(t));
  return i != nullptr ? i->size : 0;
}

MPROC_API mproc_status mproc_type_from_code(char code, mproc_type* out) {
  if (out == nullptr) return mproc__fail(MPROC_E_INVAL, "mproc_type_from_code: out is NULL");
  const type_info* i = find(static_cast<uint32_t>(static_cast<unsigned char>(code)));
  if (i == nullptr) {
    return mproc__failf(MPROC_E_INVAL,
                        "mproc_type_from_code: '%c' is not a typecode mproc knows (b B h H i I q Q "
                        "f d ? c, and s for records)",
                        code);
  }
  *out = i->type;
  return MPROC_OK;
}

}  // extern "C"
