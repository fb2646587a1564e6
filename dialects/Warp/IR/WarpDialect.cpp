//===- WarpDialect.cpp - Kiln warp dialect --------------------------------===//
//
// Registers the warp dialect's operations.
//
//===----------------------------------------------------------------------===//

#include "dialects/Warp/IR/WarpDialect.h"
#include "dialects/Warp/IR/WarpOps.h"

using namespace mlir;
using namespace kiln::warp;

#include "dialects/Warp/IR/WarpDialect.cpp.inc"

void WarpDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Warp/IR/WarpOps.cpp.inc"
      >();
}
