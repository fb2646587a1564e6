//===- FFNDialect.h - Kiln ffn dialect ---------------------------*- C++ -*-===//
//
// Declares the ffn dialect and its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_FFN_IR_FFNDIALECT_H
#define KILN_DIALECTS_FFN_IR_FFNDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/FFN/IR/FFNDialect.h.inc"
#include "mlir/IR/Attributes.h"
#include "dialects/FFN/IR/FFNEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/FFN/IR/FFNAttrs.h.inc"

#endif // KILN_DIALECTS_FFN_IR_FFNDIALECT_H
