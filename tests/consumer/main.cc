// A C++ program built against an installed mproc (tests/consumer/run.sh): starts a registered
// function in a SPAWNed child, which must find the installed library again when it re-runs this
// program. Exits 0 only if the child's exit code proves both arguments arrived.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <mproc/mproc.hpp>

namespace {

constexpr int kCode = 42;
constexpr int kWrongWord = 3;
const char* const kWord = "consumer";

}  // namespace

// Exits with `code` when `word` arrived intact, so the parent sees both arguments in one number.
void work(int code, const std::string& word) { mproc::exit(word == kWord ? code : kWrongWord); }

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  try {
    mproc::Process p(mproc::Context(mproc::start_method::spawn), mproc::fn<&work>, kCode,
                     std::string(kWord));
    p.start();
    if (!p.join(std::chrono::seconds(60))) {
      std::fprintf(stderr, "consumer: the child did not end within 60 s\n");
      p.kill();
      p.join();
      return 1;
    }
    const std::optional<int> code = p.exitcode();
    if (code != kCode) {
      const std::string failure = p.failure().value_or("");
      std::fprintf(stderr, "consumer: child exit code %d, expected %d%s %s\n", code.value_or(-999),
                   kCode, code == kWrongWord ? " (the string argument arrived changed)" : "",
                   failure.c_str());
      return 1;
    }
    return 0;
  } catch (const mproc::error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
