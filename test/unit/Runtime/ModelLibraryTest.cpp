//===- ModelLibraryTest.cpp - The checks made before dlopen ---------------===//
//
// validateModelLibrary on the fake model's bytes with one ELF field or
// trailer byte changed at a time: each breakage is refused with the message
// that names it. Truncations, flipped bytes and foreign files are covered
// end to end by test/runtime/corrupt-library.test.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"
#include "runtime/LibraryTrailer.h"
#include "runtime/ModelLibrary.h"

#include <gtest/gtest.h>

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

using namespace kiln::runtime;
using namespace kiln::runtime::test;

namespace {

class ModelLibraryTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::ifstream file(KILN_FAKE_MODEL_PATH, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(file),
                 std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), sizeof(Elf64_Ehdr) + kTrailerSize);
  }

  /// Validates `bytes`, re-sealed first so that only the change under test
  /// is wrong.
  std::string validate(bool reseal = true) {
    std::string data = bytes;
    if (reseal) {
      data.resize(data.size() - kTrailerSize);
      data += makeTrailer(reinterpret_cast<const uint8_t *>(data.data()),
                          data.size());
    }
    return message(validateModelLibrary(
        reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  }

  Elf64_Ehdr header() const {
    Elf64_Ehdr h;
    std::memcpy(&h, bytes.data(), sizeof(h));
    return h;
  }
  void setHeader(const Elf64_Ehdr &h) {
    std::memcpy(bytes.data(), &h, sizeof(h));
  }
  Elf64_Phdr segment(int i) const {
    Elf64_Phdr p;
    std::memcpy(&p, bytes.data() + header().e_phoff + i * sizeof(p),
                sizeof(p));
    return p;
  }
  void setSegment(int i, const Elf64_Phdr &p) {
    std::memcpy(bytes.data() + header().e_phoff + i * sizeof(p), &p,
                sizeof(p));
  }
  int findSegment(uint32_t type) const {
    for (int i = 0; i < header().e_phnum; ++i)
      if (segment(i).p_type == type)
        return i;
    return -1;
  }

  std::string bytes;
};

TEST_F(ModelLibraryTest, AcceptsTheSealedLibrary) {
  EXPECT_EQ(validate(/*reseal=*/false), "");
}

TEST_F(ModelLibraryTest, RefusesOtherElfTypesAndMachines) {
  Elf64_Ehdr h = header();
  h.e_type = ET_EXEC;
  setHeader(h);
  EXPECT_EQ(validate(), "ELF type 2 is not a shared library");
  h.e_type = ET_DYN;
  h.e_machine = EM_AARCH64;
  setHeader(h);
  EXPECT_EQ(validate(), "ELF machine 183 is not x86-64");
}

TEST_F(ModelLibraryTest, RefusesInconsistentSegments) {
  int load = findSegment(PT_LOAD);
  ASSERT_GE(load, 0);
  Elf64_Phdr p = segment(load);
  p.p_memsz = p.p_filesz - 1;
  setSegment(load, p);
  EXPECT_EQ(validate(), "loadable segment " + std::to_string(load) +
                            " has more bytes in the file than in memory");

  SetUp();
  int dynamic = findSegment(PT_DYNAMIC);
  ASSERT_GE(dynamic, 0);
  Elf64_Phdr d = segment(dynamic);
  d.p_type = PT_NULL;
  setSegment(dynamic, d);
  EXPECT_EQ(validate(), "the ELF file has no loadable or no dynamic segment");

  SetUp();
  Elf64_Phdr huge = segment(load);
  huge.p_offset = ~0ull - 10; // offset + size overflows 64 bits
  setSegment(load, huge);
  EXPECT_NE(validate().find("runs past the end of the file"),
            std::string::npos);
}

TEST_F(ModelLibraryTest, RefusesBrokenSectionTables) {
  Elf64_Ehdr h = header();
  ASSERT_GT(h.e_shnum, 1);
  h.e_shentsize = 32;
  setHeader(h);
  EXPECT_EQ(validate(), "the ELF header has an invalid section header size");

  SetUp();
  h = header();
  // A section that is not NOBITS whose data lies past the end.
  Elf64_Shdr section;
  size_t at = h.e_shoff + sizeof(Elf64_Shdr);
  std::memcpy(&section, bytes.data() + at, sizeof(section));
  section.sh_type = SHT_PROGBITS;
  section.sh_offset = bytes.size();
  section.sh_size = 1;
  std::memcpy(bytes.data() + at, &section, sizeof(section));
  EXPECT_NE(validate().find("section 1 (bytes ["), std::string::npos);
}

} // namespace
