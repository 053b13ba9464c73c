// Registering functions by name, in C and in C++.
#include <string>

#include "support.h"

namespace registry_test {
int c_function(const void*, size_t, mproc_call*, void*) { return 0; }
int other_c_function(const void*, size_t, mproc_call*, void*) { return 0; }
void cpp_function(int) {}
void explicitly_named(std::string) {}
}  // namespace registry_test

MPROC_REGISTER_AS(&registry_test::explicitly_named, "registry_test.explicit");

namespace {

using namespace registry_test;

TEST(Registry, RegisteringTheSameFunctionTwiceIsHarmless) {
  EXPECT_EQ(mproc_register("registry_test.c", &c_function, nullptr), MPROC_OK);
  EXPECT_EQ(mproc_register("registry_test.c", &c_function, nullptr), MPROC_OK);
  EXPECT_EQ(mproc_is_registered("registry_test.c"), 1);
}

TEST(Registry, ADifferentFunctionUnderATakenNameIsRefused) {
  ASSERT_EQ(mproc_register("registry_test.taken", &c_function, nullptr), MPROC_OK);
  EXPECT_EQ(mproc_register("registry_test.taken", &other_c_function, nullptr), MPROC_E_EXISTS);
  EXPECT_NE(std::string(mproc_last_error()).find("'registry_test.taken'"), std::string::npos);
  int tag = 0;
  EXPECT_EQ(mproc_register("registry_test.taken", &c_function, &tag), MPROC_E_EXISTS)
      << "same function with other userdata is a different registration";
}

TEST(Registry, BadNamesAreRefused) {
  EXPECT_EQ(mproc_register(nullptr, &c_function, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_register("x", nullptr, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_register("", &c_function, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_register(std::string(256, 'a').c_str(), &c_function, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_is_registered(nullptr), 0);
  EXPECT_EQ(mproc_is_registered("registry_test.never"), 0);
}

TEST(Registry, CppFunctionsAreRegisteredBeforeMainUnderTheirOwnName) {
  const std::string& name = mproc::fn<&cpp_function>.name();
  EXPECT_EQ(name, "registry_test::cpp_function");
  EXPECT_EQ(mproc_is_registered(name.c_str()), 1);
}

TEST(Registry, ExplicitNamesWinOverDerivedOnes) {
  EXPECT_EQ(mproc::fn<&explicitly_named>.name(), "registry_test.explicit");
  EXPECT_EQ(mproc_is_registered("registry_test.explicit"), 1);
}

TEST(Registry, CallFailAndResultRejectNull) {
  EXPECT_EQ(mproc_call_fail(nullptr, "t", "m"), MPROC_E_INVAL);
  EXPECT_EQ(mproc_call_set_result(nullptr, "x", 1), MPROC_E_INVAL);
}

}  // namespace
