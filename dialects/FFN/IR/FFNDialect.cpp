//===- FFNDialect.cpp - Kiln ffn dialect ------------------------------===//
//
// Registers the ffn dialect's operations and enum attributes.
//
//===----------------------------------------------------------------------===//

#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/FFN/IR/FFNOps.h"

#include "dialects/Graph/IR/GraphDialect.h"

using namespace mlir;
using namespace kiln::ffn;

#include "dialects/FFN/IR/FFNDialect.cpp.inc"

void FFNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/FFN/IR/FFNOps.cpp.inc"
      >();
}
