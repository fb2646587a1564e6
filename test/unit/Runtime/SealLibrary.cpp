//===- SealLibrary.cpp - Append a checksum trailer to a test library ------===//
//
// The hand-written fake model is linked by CMake, not kiln-compile, so this
// gives it the checksum trailer kiln-compile writes (LibraryTrailer.h); the
// runtime refuses a library without one. An existing trailer is replaced,
// so running it twice leaves the same file.
//
//===----------------------------------------------------------------------===//

#include "runtime/LibraryTrailer.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: kiln-seal-library FILE.so\n";
    return 1;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in),
                    std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    std::cerr << "kiln-seal-library: error: cannot read " << argv[1] << "\n";
    return 1;
  }
  auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
  if (kiln::runtime::hasTrailer(data, bytes.size()))
    bytes.resize(bytes.size() - kiln::runtime::kTrailerSize);
  bytes += kiln::runtime::makeTrailer(data, bytes.size());
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) {
    std::cerr << "kiln-seal-library: error: cannot write " << argv[1] << "\n";
    return 1;
  }
  return 0;
}
