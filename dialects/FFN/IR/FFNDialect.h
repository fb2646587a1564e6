//===- FFNDialect.h - Kiln ffn dialect ---------------------------*- C++ -*-===//
//
// Declares the ffn dialect and its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_FFN_IR_FFNDIALECT_H
#define KILN_DIALECTS_FFN_IR_FFNDIALECT_H

#include "mlir/IR/Dialect.h"
#include "dialects/Graph/IR/GraphDialect.h"

#include "dialects/FFN/IR/FFNDialect.h.inc"

#endif // KILN_DIALECTS_FFN_IR_FFNDIALECT_H
