//===- FFNDialect.cpp - Kiln ffn dialect ------------------------------===//
//
// Registers the ffn dialect's operations and enum attributes.
//
//===----------------------------------------------------------------------===//

#include "dialects/FFN/IR/FFNDialect.h"
#include "dialects/FFN/IR/FFNOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::ffn;

#include "dialects/FFN/IR/FFNDialect.cpp.inc"
#include "dialects/FFN/IR/FFNEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/FFN/IR/FFNAttrs.cpp.inc"

void FFNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/FFN/IR/FFNOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/FFN/IR/FFNAttrs.cpp.inc"
      >();
}
