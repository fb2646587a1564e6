//===- ScanDialect.cpp - Kiln scan dialect ------------------------------===//
//
// Registers the scan dialect's operations.
//
//===----------------------------------------------------------------------===//

#include "dialects/Scan/IR/ScanDialect.h"
#include "dialects/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace kiln::scan;

#include "dialects/Scan/IR/ScanDialect.cpp.inc"

void ScanDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Scan/IR/ScanOps.cpp.inc"
      >();
}
