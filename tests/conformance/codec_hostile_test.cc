// Hostile bytes (issue 15, item 12): a few dozen bytes with a forged length, received as a type
// that cereal decodes, must give errc::decode — never a huge allocation, std::bad_alloc or the
// OOM killer. The forged counts are 2^40 and beyond, so the code before the fix failed with
// std::bad_alloc (or, under AddressSanitizer, an allocation-size report).
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mproc/codec.hpp"
#include "support.h"

namespace codec_hostile_test {

using strings = std::vector<std::string>;
using series = std::map<std::string, std::vector<double>>;
using maybe = std::optional<std::tuple<int, strings>>;

constexpr std::uint64_t kHuge = std::uint64_t{1} << 40;

void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

// The facade's frame around a cereal archive: its byte count, then the archive.
std::string framed(const std::string& archive) {
  std::string out;
  put_u64(out, archive.size());
  return out + archive;
}

template <class T>
void expect_decode_error(const std::string& bytes, const char* what) {
  try {
    (void)mproc::from_bytes<T>(bytes);
    ADD_FAILURE() << what << ": decoded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::decode) << what << ": " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw " << typeid(e).name() << ": " << e.what();
  }
}

TEST(CodecHostile, VectorOfStringsWithAForgedCountIsADecodeError) {
  std::string a;
  put_u64(a, kHuge);  // 2^40 strings, none present
  expect_decode_error<strings>(framed(a), "vector count 2^40");
  std::string b;
  put_u64(b, 1);
  put_u64(b, kHuge);  // one string of 2^40 bytes, none present
  b += "abc";
  expect_decode_error<strings>(framed(b), "string length 2^40");
  std::string c;
  put_u64(c, UINT64_MAX);
  expect_decode_error<strings>(framed(c), "vector count 2^64-1");
}

TEST(CodecHostile, MapOfStringToVectorWithAForgedInnerCountIsADecodeError) {
  std::string a;
  put_u64(a, 1);  // one entry
  put_u64(a, 1);
  a += "k";        // key "k"
  put_u64(a, kHuge);  // a vector<double> of 2^40 values
  a += "12345678";
  expect_decode_error<series>(framed(a), "map value count 2^40");
  std::string b;
  put_u64(b, kHuge);  // 2^40 entries
  expect_decode_error<series>(framed(b), "map count 2^40");
}

TEST(CodecHostile, OptionalTupleWithAForgedCountOrBoolIsADecodeError) {
  std::string a;
  a += '\0';  // cereal's "nullopt" flag: false, so a value follows
  a.append(4, '\0');  // int 0
  put_u64(a, kHuge);  // vector<string> of 2^40
  expect_decode_error<maybe>(framed(a), "optional<tuple<..>> count 2^40");
  std::string b;
  b += '\7';  // a flag that is neither true nor false (undefined behaviour to read as a bool)
  expect_decode_error<maybe>(framed(b), "optional flag 7");
}

TEST(CodecHostile, ForgedCountsInsideArgumentPacksAreDecodeErrors) {
  std::string a;
  put_u64(a, kHuge);
  const std::string arg = framed(a);
  std::string pack;
  put_u64(pack, arg.size());
  pack += arg;
  try {
    (void)mproc::decode_args<strings>(pack);
    ADD_FAILURE() << "decoded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::decode) << e.what();
    EXPECT_NE(std::string(e.what()).find("argument 1"), std::string::npos) << e.what();
  }
}

TEST(CodecHostile, HonestValuesStillRoundTrip) {
  const strings s{"a", "", std::string(1000, 'x')};
  EXPECT_EQ(mproc::from_bytes<strings>(mproc::to_bytes(s)), s);
  const series m{{"x", {1.0, 2.0}}, {"", {}}};
  EXPECT_EQ(mproc::from_bytes<series>(mproc::to_bytes(m)), m);
  const maybe o = std::make_tuple(3, strings{"q"});
  EXPECT_EQ(mproc::from_bytes<maybe>(mproc::to_bytes(o)), o);
  const std::set<std::vector<bool>> bits{{true, false}, {}};
  EXPECT_EQ(mproc::from_bytes<std::set<std::vector<bool>>>(mproc::to_bytes(bits)), bits);
}

// Through a pipe, as a process receiving from an untrusted peer would: the receiver gets the
// decode error and the connection stays usable.
TEST(CodecHostile, PipeReceiverOfForgedBytesGetsADecodeErrorAndCarriesOn) {
  auto [here, there] = mproc::Pipe<strings>();
  std::string forged;
  put_u64(forged, kHuge);
  const std::string bytes = framed(forged);
  there.send_bytes(bytes.data(), bytes.size());
  try {
    (void)here.recv(std::chrono::seconds(60));
    ADD_FAILURE() << "decoded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::decode) << e.what();
  }
  there.send(strings{"ok"});
  EXPECT_EQ(here.recv(std::chrono::seconds(60)), std::optional<strings>(strings{"ok"}));
}

}  // namespace codec_hostile_test
