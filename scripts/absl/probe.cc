// Links against the subset scripts/absl builds and checks that it formats (build-absl.sh runs it).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

int main() {
  const std::string s = absl::StrFormat("%s %d %u %.2f %c", "mproc", -3, 7u, 1.5, 'x');
  const std::string t = absl::StrCat(s, " ", 42);
  if (t != "mproc -3 7 1.50 x 42") {
    std::fprintf(stderr, "absl probe: got '%s'\n", t.c_str());
    return 1;
  }
  return 0;
}
