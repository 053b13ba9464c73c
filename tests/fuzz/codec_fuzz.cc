// libFuzzer target for the C++ facade's typed decoders (api/include/mproc/codec.hpp): the bytes a
// process receives from a queue, pipe or pool, decoded as the type it expects. Built with clang
// -fsanitize=fuzzer,address,undefined by tests/fuzz/run.sh, with -rss_limit_mb/-malloc_limit_mb
// so that an allocation the input could not describe is a failure. Properties checked:
//   1. any bytes either decode or throw mproc::error with errc::decode — never another exception,
//      a crash, undefined behaviour or an allocation beyond the limit;
//   2. a value that decoded re-encodes to bytes that decode to a value with the same encoding.
// The first input byte picks the type (and whether the harness writes the facade's archive-length
// frame itself, so that the fuzzer reaches cereal's archive at once); the rest are the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "mproc/codec.hpp"

namespace {

struct Point {
  int x = 0;
  std::string label;
  std::vector<double> weights;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(x, label, weights);
  }
};

template <class T>
void roundtrip(const std::string& bytes) {
  std::string again;
  try {
    again = mproc::to_bytes(mproc::from_bytes<T>(bytes));
  } catch (const mproc::error& e) {
    if (e.code() != mproc::errc::decode) std::abort();
    return;
  }
  // What decoded once must decode again, to the same encoding.
  if (mproc::to_bytes(mproc::from_bytes<T>(again)) != again) std::abort();
}

template <class... A>
void args(const std::string& bytes) {
  try {
    (void)mproc::decode_args<A...>(bytes);
  } catch (const mproc::error& e) {
    if (e.code() != mproc::errc::decode) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((selector & 0x80) != 0) {  // frame it as the facade does a cereal archive
    const std::uint64_t n = bytes.size();
    char frame[sizeof n];
    std::memcpy(frame, &n, sizeof n);
    bytes.insert(0, frame, sizeof n);
  }
  switch (selector & 0x0f) {
    case 0: roundtrip<std::vector<std::string>>(bytes); break;
    case 1: roundtrip<std::map<std::string, std::vector<double>>>(bytes); break;
    case 2: roundtrip<std::optional<std::tuple<int, std::string, std::vector<std::string>>>>(bytes); break;
    case 3: roundtrip<std::variant<int, std::string, std::vector<std::int64_t>>>(bytes); break;
    case 4: roundtrip<std::set<std::vector<bool>>>(bytes); break;
    case 5: roundtrip<std::vector<std::vector<int>>>(bytes); break;
    case 6: roundtrip<std::deque<std::list<std::string>>>(bytes); break;
    case 7: roundtrip<std::vector<Point>>(bytes); break;
    case 8: roundtrip<std::pair<std::string, std::map<int, std::string>>>(bytes); break;
    case 9: roundtrip<std::string>(bytes); break;  // the contiguous path
    case 10: roundtrip<std::vector<double>>(bytes); break;
    case 11: args<std::string, std::vector<std::string>, int>(bytes); break;
    case 12: args<std::map<std::string, std::vector<double>>, bool>(bytes); break;
    default: roundtrip<std::optional<std::vector<std::string>>>(bytes); break;
  }
  return 0;
}
